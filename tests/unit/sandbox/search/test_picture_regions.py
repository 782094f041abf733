from __future__ import annotations

from PIL import Image, ImageDraw

from services.sandbox.search import picture_regions


def _two_objects() -> Image.Image:
    image = Image.new("RGB", (1000, 500), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 100, 399, 399), fill=(200, 20, 20))  # the larger one
    draw.ellipse((650, 150, 849, 349), fill=(20, 20, 200))
    return image


def test_object_boxes_finds_each_object_largest_first() -> None:
    boxes = picture_regions.object_boxes(_two_objects())
    assert len(boxes) == 2
    (ax0, ax1, ay0, ay1), (bx0, bx1, by0, by1) = boxes
    assert abs(ax0 - 100) <= 25 and abs(ax1 - 399) <= 25 and abs(ay0 - 100) <= 25
    assert abs(ay1 - 399) <= 25
    assert abs(bx0 - 650) <= 25 and abs(bx1 - 849) <= 25 and abs(by0 - 150) <= 25
    assert abs(by1 - 349) <= 25


def test_blank_picture_is_one_whole_box() -> None:
    assert picture_regions.object_boxes(Image.new("RGB", (800, 600), "white")) == [(0, 799, 0, 599)]


def test_pic_region_info_in_pixels_of_the_upload() -> None:
    working = _two_objects().resize((500, 250))
    info = picture_regions.pic_region_info(working, (1000, 500), None)
    boxes = info["yoloCropRegion"].split(";")
    assert info["currentRegion"] == boxes[0] and len(boxes) == 2
    x0, x1, _, _ = (int(v) for v in boxes[0].split(","))
    assert abs(x0 - 100) <= 30 and abs(x1 - 399) <= 30
    asked = picture_regions.pic_region_info(working, (1000, 500), (600, 1200, 100, 400))
    assert asked["currentRegion"] == "600,999,100,400"
