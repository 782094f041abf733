"""Subject boxes: fractions ↔ imageQuery's pixel boxes, both ends included."""

from __future__ import annotations

import pytest
from factoryfinder.v1 import common_pb2

from services.gateway.search import subject_box

Box = common_pb2.SubjectBox


def edges(box: common_pb2.SubjectBox | None) -> tuple[float, ...] | None:
    return None if box is None else (box.left, box.top, box.right, box.bottom)


def test_the_whole_photo_is_the_engines_whole_box() -> None:
    # picRegionInfo of a real answer for an 800×800 upload.
    assert subject_box.to_region(Box(left=0, top=0, right=1, bottom=1), 800, 800) == "0,799,0,799"
    assert edges(subject_box.from_region("0,799,0,799", 800, 800)) == (0, 0, 1, 1)


def test_a_box_is_x0_x1_y0_y1_in_pixels() -> None:
    box = Box(left=0.1, top=0.25, right=0.5, bottom=0.75)
    assert subject_box.to_region(box, 800, 600) == "80,399,150,449"
    assert edges(subject_box.from_region("80,399,150,449", 800, 600)) == pytest.approx(
        (0.1, 0.25, 0.5, 0.75)
    )


def test_a_tiny_box_keeps_at_least_one_pixel() -> None:
    box = Box(left=0.5, top=0.5, right=0.5001, bottom=0.5001)
    assert subject_box.to_region(box, 100, 100) == "50,50,50,50"


@pytest.mark.parametrize("text", ["", "1,2,3", "a,b,c,d", "5,4,0,1", "900,950,0,10", "-1,5,0,5"])
def test_unreadable_boxes_are_none(text: str) -> None:
    assert subject_box.from_region(text, 800, 800) is None


def test_a_box_past_the_edge_is_clamped() -> None:
    assert edges(subject_box.from_region("400,900,0,799", 800, 800)) == (0.5, 0, 1, 1)


def test_picture_regions_name_the_other_objects_once() -> None:
    regions = subject_box.picture_regions(
        "0,399,0,799", "0,399,0,799;400,799,0,399;400,799,0,399", 800, 800
    )
    assert regions is not None
    assert edges(regions.searched) == (0, 0, 0.5, 1)
    assert [edges(box) for box in regions.others] == [(0.5, 0, 1, 0.5)]


def test_no_regions_sent_is_none() -> None:
    # 1688's documentation sample sends empty strings.
    assert subject_box.picture_regions("", "", 800, 800) is None
    assert subject_box.picture_regions("0,799,0,799", "", 0, 0) is None


@pytest.mark.parametrize(
    "box",
    [
        Box(left=0.5, top=0, right=0.5, bottom=1),
        Box(left=0, top=0.6, right=1, bottom=0.2),
        Box(left=-0.1, top=0, right=1, bottom=1),
        Box(left=0, top=0, right=1.5, bottom=1),
        Box(left=float("nan"), top=0, right=1, bottom=1),
    ],
)
def test_boxes_outside_the_photo_are_refused(box: common_pb2.SubjectBox) -> None:
    assert subject_box.check(box) is not None


def test_a_box_inside_the_photo_is_accepted() -> None:
    assert subject_box.check(Box(left=0, top=0, right=1, bottom=1)) is None
