"""The buyer's photo is described once: ahead of its comparison, and reused by it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image, ImageDraw

from services.preprocess.image_comparison import Candidate, ImageComparer
from services.preprocess.offer_images import FetchLimits, OfferImageFetcher
from services.preprocess.visual_similarity import Descriptor, GridComparator, UnreadableImage


class CountingComparator(GridComparator):
    def __init__(self) -> None:
        super().__init__()
        self.queries = 0

    def describe(self, image: Image.Image, *, search_windows: bool) -> Descriptor:
        self.queries += search_windows
        return super().describe(image, search_windows=search_windows)


def _jpeg(shade: int) -> bytes:
    image = Image.new("RGB", (240, 240), (250, 250, 250))
    ImageDraw.Draw(image).ellipse((40, 60, 200, 190), fill=(shade, 40, 200 - shade))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
async def comparer() -> AsyncIterator[ImageComparer]:
    fetcher = OfferImageFetcher(FetchLimits(("127.0.0.1",), 1_000_000, 1.0, 2, 1_000_000, True))
    yield ImageComparer(fetcher, CountingComparator(), 40_000_000, 16)
    await fetcher.close()


def _queries(comparer: ImageComparer) -> int:
    comparator = comparer._comparator
    assert isinstance(comparator, CountingComparator)
    return comparator.queries


async def test_a_photo_described_ahead_is_not_described_again(comparer: ImageComparer) -> None:
    photo = _jpeg(120)
    comparer.describe_ahead(photo)
    comparer.describe_ahead(photo)  # PrepareImage twice for one photo: one description
    first = await comparer.compare(photo, [Candidate("1", "")])
    second = await comparer.compare(photo, [Candidate("2", "")])
    assert _queries(comparer) == 1
    assert [o.reason for o in first.outcomes + second.outcomes] == ["the offer has no image"] * 2


async def test_without_describe_ahead_the_comparison_describes_once(
    comparer: ImageComparer,
) -> None:
    photo = _jpeg(60)
    await comparer.compare(photo, [Candidate("1", "")])
    await comparer.compare(photo, [Candidate("2", "")])
    assert _queries(comparer) == 1


async def test_a_photo_that_is_not_an_image_is_still_the_callers_error(
    comparer: ImageComparer,
) -> None:
    comparer.describe_ahead(b"not a jpeg")
    with pytest.raises(UnreadableImage):
        await comparer.compare(b"not a jpeg", [Candidate("1", "")])
