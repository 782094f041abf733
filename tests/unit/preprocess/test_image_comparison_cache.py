"""The buyer's photo is described once: ahead of its comparison, and reused by it."""

from __future__ import annotations

import io
import os
import threading
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
    opened = ImageComparer(fetcher, CountingComparator(), 40_000_000, 16)
    yield opened
    opened.close()
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


async def test_the_image_work_runs_at_the_lower_priority_it_is_given() -> None:
    fetcher = OfferImageFetcher(FetchLimits(("127.0.0.1",), 1_000_000, 1.0, 2, 1_000_000, True))
    lowered = ImageComparer(fetcher, CountingComparator(), 40_000_000, 16, niceness=3)

    def own_priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    try:
        here = own_priority()
        # The comparison threads yield to request routing; this thread is left as it was.
        assert await lowered._in_thread(own_priority) == min(19, here + 3)
        assert own_priority() == here
    finally:
        lowered.close()
        await fetcher.close()
