"""Offer images: concurrent requests for one picture share one drawing, same bytes."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from services.sandbox.catalog import photos as catalog_photos
from services.sandbox.catalog.model import Catalog, Offer
from services.sandbox.server import RunningSandbox
from tests.integration.sandbox.conftest import Gateway


async def test_concurrent_requests_share_one_drawing_of_the_same_bytes(
    sandbox: RunningSandbox, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[int, int]] = []
    draw = catalog_photos.offer_jpeg

    def counting(catalog: Catalog, offer: Offer, side: int) -> bytes:
        drawn.append((offer.offer_id, side))
        return draw(catalog, offer, side)

    monkeypatch.setattr(catalog_photos, "offer_jpeg", counting)
    catalog = sandbox.state.loaded.catalog
    # Source photos and resellers' edits (re-encoded at their own quality), two sizes.
    offers = [o for o in catalog.offers if o.edit is None][:3]
    offers += [o for o in catalog.offers if o.edit is not None][:3]
    wanted = [(o, side) for o in offers for side in (256, 400)]

    async def get(offer: Offer, side: int) -> Any:
        suffix = "" if side == 256 else f"_{side}x{side}.jpg"
        response = await gateway.http.get(f"/img/ibank/{offer.offer_id}.jpg{suffix}")
        assert response.status_code == 200
        return response.content

    served = await asyncio.gather(*(get(o, side) for o, side in wanted for _ in range(4)))
    again = await asyncio.gather(*(get(o, side) for o, side in wanted))

    assert sorted(drawn) == sorted((o.offer_id, side) for o, side in wanted)
    expected = [hashlib.sha256(draw(catalog, o, side)).hexdigest() for o, side in wanted]
    assert [hashlib.sha256(b).hexdigest() for b in served[::4]] == expected
    assert [hashlib.sha256(b).hexdigest() for b in again] == expected
    assert all(served[i] == served[i - i % 4] for i in range(len(served)))
