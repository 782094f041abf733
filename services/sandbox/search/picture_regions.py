"""``picRegionInfo``: the boxes the engine sees in an uploaded photo.

1688 answers every imageQuery with ``picRegionInfo {currentRegion:
"x0,x1,y0,y1", yoloCropRegion: "r1;r2"}``: the subject box it searched (the
caller's ``region`` when one was sent) and every object box its detector
found, in pixels of the uploaded image, bounds inclusive ("0,799,0,799" for
a whole 800 x 800 photo). The sandbox's detector: pixels clearly unlike the
border colour, split into objects where whole empty columns (then rows)
separate them, the three largest kept.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from services.sandbox.search import features

PixelBox = tuple[int, int, int, int]  # x0, x1, y0, y1, inclusive

_PROBE = 48
_DIFF = 28
_MAX_BOXES = 3
_MIN_CELLS = 3


def region_text(box: PixelBox) -> str:
    return ",".join(str(v) for v in box)


def clip_region(box: PixelBox, size: tuple[int, int]) -> PixelBox:
    """A caller's region inside the picture (``x1``/``y1`` at most the last pixel)."""
    width, height = size
    x0, x1, y0, y1 = box
    return (
        min(x0, width - 1),
        max(min(x1, width - 1), min(x0, width - 1)),
        min(y0, height - 1),
        max(min(y1, height - 1), min(y0, height - 1)),
    )


def _runs(filled: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Index ranges [start, end) of consecutive True values."""
    runs: list[tuple[int, int]] = []
    start = None
    for position, value in enumerate(filled.tolist()):
        if value and start is None:
            start = position
        elif not value and start is not None:
            runs.append((start, position))
            start = None
    if start is not None:
        runs.append((start, len(filled)))
    return runs


def _mask(image: Image.Image) -> npt.NDArray[np.bool_]:
    probe = np.asarray(features.shrink(features.square(image), _PROBE)).astype(np.int16)
    border = np.concatenate([probe[0], probe[-1], probe[:, 0], probe[:, -1]])
    reference = np.median(border, axis=0)
    return np.asarray(np.abs(probe - reference).max(axis=2) > _DIFF)


def object_boxes(image: Image.Image) -> list[PixelBox]:
    """Object boxes in pixels of ``image``, largest first (the whole picture if none)."""
    width, height = image.size
    side = max(width, height)
    pad_x, pad_y = (side - width) // 2, (side - height) // 2
    mask = _mask(image)
    found: list[tuple[int, PixelBox]] = []
    for c0, c1 in _runs(np.asarray(mask.any(axis=0))):
        for r0, r1 in _runs(np.asarray(mask[:, c0:c1].any(axis=1))):
            cells = int(mask[r0:r1, c0:c1].sum())
            if cells < _MIN_CELLS:
                continue
            scale = side / _PROBE
            box = (
                round(c0 * scale) - pad_x,
                round(c1 * scale) - 1 - pad_x,
                round(r0 * scale) - pad_y,
                round(r1 * scale) - 1 - pad_y,
            )
            inside = (max(0, box[0]), box[1], max(0, box[2]), box[3])
            found.append((cells, clip_region(inside, (width, height))))
    found.sort(key=lambda item: -item[0])
    boxes = [box for _, box in found[:_MAX_BOXES]]
    return boxes or [(0, width - 1, 0, height - 1)]


def _scaled(box: PixelBox, image: tuple[int, int], size: tuple[int, int]) -> PixelBox:
    sx, sy = size[0] / image[0], size[1] / image[1]
    x0, x1, y0, y1 = box
    return clip_region(
        (int(x0 * sx), int((x1 + 1) * sx) - 1, int(y0 * sy), int((y1 + 1) * sy) - 1), size
    )


def pic_region_info(
    image: Image.Image, size: tuple[int, int], region: PixelBox | None
) -> dict[str, str]:
    """``picRegionInfo`` for ``image`` (the upload's working copy of a picture of
    ``size`` pixels) searched on ``region`` (None: its main object)."""
    boxes = [_scaled(box, image.size, size) for box in object_boxes(image)]
    current = boxes[0] if region is None else clip_region(region, size)
    return {
        "currentRegion": region_text(current),
        "yoloCropRegion": ";".join(region_text(box) for box in boxes),
    }
