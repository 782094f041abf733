"""The demo ``make run`` shows: a real search and a verification on the
shipped sample photos, through the public API, printed as tables."""

from __future__ import annotations

from pathlib import Path

import grpc
from factoryfinder.v1 import common_pb2, search_pb2, search_pb2_grpc

from services.cli import render
from shared.grpc_client import open_channel

SAMPLES = Path(__file__).parent / "sample_photos"
SEARCH_PHOTO = "phone_rotated.jpg"
VERIFY_PHOTOS = ("phone_rotated.jpg", "detail_closeup.jpg", "cutout.png")


def _photo(name: str, role: common_pb2.PhotoRole.ValueType) -> common_pb2.Photo:
    return common_pb2.Photo(image_data=(SAMPLES / name).read_bytes(), role=role)


async def run_demo(target: str, api_key: str) -> None:
    console = render.console()
    metadata = (("authorization", f"Bearer {api_key}"),)
    # A buyer of this T-shirt: 100 pieces, offers that look like the photo (≥ 50 %),
    # the top 5 enriched with their price ladders.
    options = search_pb2.SearchOptions(
        filters=common_pb2.Filters(purchase_quantity=100, min_similarity=50),
        enrich_top_k=5,
        locale="en",
    )
    async with open_channel(
        [target], "factoryfinder.v1.SearchService", retry_unavailable=False
    ) as channel:
        stub = search_pb2_grpc.SearchServiceStub(channel)
        try:
            console.rule(f"Search: {SEARCH_PHOTO} (a phone photo, EXIF-rotated)")
            request = search_pb2.SearchByImageRequest(
                photo=_photo(SEARCH_PHOTO, common_pb2.PHOTO_ROLE_PRODUCT), options=options
            )
            found = await stub.SearchByImage(request, metadata=metadata, timeout=60)
            render.print_search(console, found, explain=False, locale="en")
            console.rule(
                "Verify: front + detail close-up + transparent cut-out, searched concurrently"
            )
            roles = (
                common_pb2.PHOTO_ROLE_PRODUCT,
                common_pb2.PHOTO_ROLE_DETAIL,
                common_pb2.PHOTO_ROLE_PRODUCT,
            )
            verify = search_pb2.VerifyByImagesRequest(
                photos=[_photo(n, r) for n, r in zip(VERIFY_PHOTOS, roles, strict=True)],
                options=options,
            )
            render.print_verify(
                console,
                await stub.VerifyByImages(verify, metadata=metadata, timeout=90),
                VERIFY_PHOTOS,
                "en",
            )
        except grpc.aio.AioRpcError as error:
            console.print(f"[red]demo call failed: {error.code().name}: {error.details()}[/red]")
