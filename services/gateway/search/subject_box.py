"""Subject boxes: our fractions of a photo ↔ 1688's pixel boxes ``"x0,x1,y0,y1"``.

imageQuery takes the box to search as ``region`` and answers with
``picRegionInfo {currentRegion: box, yoloCropRegion: "box;box;..."}``: the box
it searched and the objects it saw. Those boxes are in pixels of the uploaded
image, both ends included: a whole 800×800 photo is ``"0,799,0,799"`` (a real
answer). A :class:`SubjectBox` is in fractions (right and bottom edges
excluded), so a box the engine returns can be sent back as it is. Which image
the engine measures on is not documented [?]: the prepared image we uploaded
(its width and height) is assumed, and boxes are clamped to it.
"""

from __future__ import annotations

import math
import re

from factoryfinder.v1 import common_pb2

_BOX = re.compile(r"\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*")


def check(box: common_pb2.SubjectBox) -> str | None:
    """Why ``box`` is not a box inside the photo, or None when it is."""
    edges = (box.left, box.top, box.right, box.bottom)
    if not all(math.isfinite(edge) and 0 <= edge <= 1 for edge in edges):
        return "subject edges must be fractions from 0 to 1"
    if box.left >= box.right or box.top >= box.bottom:
        return "subject must have right > left and bottom > top"
    return None


def canonical(box: common_pb2.SubjectBox | None) -> str:
    """A stable text of the box for cache keys and page-token digests ("" for none)."""
    if box is None:
        return ""
    return ",".join(f"{edge:.6f}" for edge in (box.left, box.top, box.right, box.bottom))


def _span(low: float, high: float, size: int) -> tuple[int, int]:
    first = min(size - 1, math.floor(low * size))
    return first, max(first, min(size, math.ceil(high * size)) - 1)


def to_region(box: common_pb2.SubjectBox, width: int, height: int) -> str:
    """imageQuery's ``region`` for ``box`` on a ``width`` × ``height`` image."""
    x0, x1 = _span(box.left, box.right, width)
    y0, y1 = _span(box.top, box.bottom, height)
    return f"{x0},{x1},{y0},{y1}"


def from_region(text: str, width: int, height: int) -> common_pb2.SubjectBox | None:
    """A pixel box as a SubjectBox; None when it is empty, unreadable or outside the image."""
    match = _BOX.fullmatch(text)
    if match is None or width <= 0 or height <= 0:
        return None
    x0, x1, y0, y1 = (int(value) for value in match.groups())
    if x1 < x0 or y1 < y0 or x0 >= width or y0 >= height:
        return None
    return common_pb2.SubjectBox(
        left=x0 / width,
        top=y0 / height,
        right=min(x1 + 1, width) / width,
        bottom=min(y1 + 1, height) / height,
    )


def picture_regions(
    searched: str, seen: str, width: int, height: int
) -> common_pb2.PictureRegions | None:
    """picRegionInfo as PictureRegions; ``others`` leaves out the box that was searched."""
    current = from_region(searched, width, height)
    others = []
    for part in seen.split(";"):
        box = from_region(part, width, height)
        if box is not None and box != current and box not in others:
            others.append(box)
    if current is None and not others:
        return None
    regions = common_pb2.PictureRegions(others=others)
    if current is not None:
        regions.searched.CopyFrom(current)
    return regions
