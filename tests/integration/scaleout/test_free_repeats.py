"""Free repeats, through the whole set: results are cached by what was asked
upstream (imageId + the query's parameters + page), so a photo that maps to a
known upload, asked with the same options, costs no call at all.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import grpc
from PIL import Image

from tests.e2e.photos import variant
from tests.integration.scaleout.cluster import QUERY, UPLOAD, Caller, spent, start_cluster


def png_at_90_percent(jpeg: bytes) -> bytes:
    with Image.open(io.BytesIO(jpeg)) as image:
        smaller = image.resize(
            (image.width * 9 // 10, image.height * 9 // 10), Image.Resampling.LANCZOS
        )
    out = io.BytesIO()
    smaller.save(out, "PNG")
    return out.getvalue()


async def test_the_same_photo_again_and_re_encoded_costs_nothing_and_paging_one_query() -> None:
    cluster = await start_cluster(Path(tempfile.mkdtemp(prefix="ff-repeats-")))
    try:
        jpeg = variant("detail_closeup.jpg", 4242)
        png = png_at_90_percent(jpeg)
        async with grpc.aio.insecure_channel(cluster.aggregator.address) as channel:
            caller = Caller(channel)
            first = await caller.search(jpeg)
            again = await caller.search(jpeg)
            re_encoded = await caller.search(png)
            assert (await cluster.calls(UPLOAD), await cluster.calls(QUERY)) == (1, 1)
            assert (first.from_cache, spent(first, UPLOAD), spent(first, QUERY)) == (False, 1, 1)
            for repeat in (again, re_encoded):
                assert (repeat.from_cache, spent(repeat, UPLOAD), spent(repeat, QUERY)) == (
                    True,
                    0,
                    0,
                )
                assert [o.offer.offer_id for o in repeat.offers] == [
                    o.offer.offer_id for o in first.offers
                ]
            assert re_encoded.next_page_token
            # The next page, asked with the re-encoded photo and its own token.
            second = await caller.search(png, page_token=re_encoded.next_page_token)
        assert (await cluster.calls(UPLOAD), await cluster.calls(QUERY)) == (1, 2)
        assert (second.from_cache, spent(second, UPLOAD), spent(second, QUERY)) == (False, 0, 1)
        assert second.offers
    finally:
        await cluster.stop()
