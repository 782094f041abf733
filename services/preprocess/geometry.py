"""The upstream's geometry rules: long side at most L, short side at least S.

A photo is scaled (down, or up with a warning when it is small) to meet both;
when its aspect ratio cannot meet both, it is scaled to the long-side limit
and padded onto white, never stretched. Below a floor there is too little to
search with, and the photo is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from services.preprocess.errors import Reason, reject

WHITE = (255, 255, 255)


@dataclass(frozen=True)
class GeometryPlan:
    """Sizes seen upright: the scaled content, and the white canvas it is centred on."""

    content: tuple[int, int]
    canvas: tuple[int, int]

    def upscales(self, source: tuple[int, int]) -> bool:
        return self.content[0] > source[0] or self.content[1] > source[1]

    @property
    def pads(self) -> bool:
        return self.canvas != self.content


def plan_geometry(
    size: tuple[int, int], *, long_side_max: int, short_side_min: int, min_side_floor: int
) -> GeometryPlan:
    """Where a photo of ``size`` (upright) ends up under the rules."""
    width, height = size
    short, long = min(size), max(size)
    if short < min_side_floor:
        raise reject(
            Reason.IMAGE_TOO_SMALL,
            f"the photo is {width}x{height}; its short side must be at least {min_side_floor} px",
        )
    scale_up_to = long_side_max / long
    scale_at_least = short_side_min / short
    if scale_at_least <= scale_up_to:
        scale = min(max(1.0, scale_at_least), scale_up_to)
    else:  # too elongated to meet both: the long side rules, the short side is padded
        scale = scale_up_to
    content = (
        min(long_side_max, max(1, round(width * scale))),
        min(long_side_max, max(1, round(height * scale))),
    )
    canvas = (max(content[0], short_side_min), max(content[1], short_side_min))
    return GeometryPlan(content=content, canvas=canvas)


def pad_onto_white(image: Image.Image, canvas: tuple[int, int]) -> Image.Image:
    """``image`` centred on a white canvas of ``canvas`` size."""
    background = Image.new("RGB", canvas, WHITE)
    left = (canvas[0] - image.width) // 2
    top = (canvas[1] - image.height) // 2
    background.paste(image, (left, top))
    return background
