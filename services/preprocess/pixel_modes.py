"""Every Pillow pixel mode reduced to the four the pipeline works in: L, LA, RGB, RGBA.

Pillow's own conversions get two common cases wrong for us: 16-bit and 32-bit
greyscale are clipped to 255 instead of scaled (a 16-bit PNG turns white),
and transparency kept in ``info`` (palette and colour-key PNGs, GIFs) is only
honoured when converting to a mode with alpha.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

from services.preprocess.errors import Reason, reject

WORKING_MODES = ("L", "LA", "RGB", "RGBA")

_DIRECT = {
    "1": "L",
    "PA": "RGBA",
    "La": "LA",
    "RGBa": "RGBA",
    "RGBX": "RGB",
    "YCbCr": "RGB",
    "HSV": "RGB",
}


def _white_point(mode: str, pixels: npt.NDArray[np.float64], is_float: bool) -> float:
    """The sample value that means white."""
    peak = float(pixels.max(initial=0.0))
    if is_float:
        return 1.0 if peak <= 1.0 else peak
    if mode.startswith("I;16") or 255 < peak <= 65535:
        return 65535.0
    # 32-bit integers: 8-bit data is kept as is, anything wider is scaled by its peak.
    return max(255.0, peak)


def _deep_grey_to_l(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float greyscale scaled (not clipped) into 8 bits."""
    raw = np.asarray(image)
    pixels = np.nan_to_num(raw.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    pixels = np.maximum(pixels, 0.0)
    white = _white_point(image.mode, pixels, raw.dtype.kind == "f")
    grey = np.clip(np.rint(pixels / white * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(grey)


def to_working_mode(image: Image.Image) -> Image.Image:
    """``image`` in L, LA, RGB or RGBA (CMYK is left to colour management)."""
    mode = image.mode
    if mode.startswith("I") or mode == "F":
        return _deep_grey_to_l(image)
    if mode in ("CMYK", *WORKING_MODES) and "transparency" not in image.info:
        return image
    if mode == "P" or "transparency" in image.info:
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode in _DIRECT:
        return image.convert(_DIRECT[mode])
    raise reject(Reason.IMAGE_FORMAT_UNSUPPORTED, f"the pixel mode {mode} is not supported")
