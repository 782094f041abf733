"""Transparency flattened onto white, the only background the upstream reads correctly.

Two ways to get dark halos, both avoided here:
- the colour under a transparent pixel is arbitrary (often black): dropping
  alpha shows it, and resampling before flattening smears it into the edges.
  Each pixel is blended with its own alpha onto white, before any resampling.
- some cut-outs are saved with premultiplied colours (edges already darkened
  by black) in a format that says "straight alpha". Blending those again
  darkens the edges twice. Premultiplied data is recognisable, because no
  channel can exceed its pixel's alpha; such images are composited as
  premultiplied (colour + white x (1 - alpha)).

Plain PNGs arrive as libvips' array and are flattened by libvips (flatten, or
a saturating add for premultiplied data) without a detour through Pillow:
on a 2000x2000 cut-out, Pillow's masked paste alone took about 38 ms, and the
copies into and out of a Pillow image another 15.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyvips
from PIL import Image, ImageChops

# Rounding in premultiplying tools can push a channel one or two levels over alpha.
_PREMULTIPLIED_SLACK = 2
# Too few semi-transparent pixels to judge: treat as straight alpha (the PNG/WebP rule).
_MIN_EDGE_SAMPLES = 64
# Edges are continuous, so a quarter of a million pixels (picked, not blended) is enough to
# judge; on a 2000x2000 cut-out it makes the check 2 ms instead of 40.
_SAMPLE_PIXELS = 250_000


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("LA", "RGBA")


def _premultiplied(pixels: npt.NDArray[np.uint8]) -> bool:
    """``pixels`` (height x width x channels, alpha last) judged as premultiplied or not."""
    alpha = pixels[..., -1].astype(np.int16)
    brightest = pixels[..., :-1].max(axis=-1).astype(np.int16)
    edge = (alpha > 0) & (alpha < 255)
    if int(edge.sum()) < _MIN_EDGE_SAMPLES:
        return False
    return not bool((brightest[edge] > alpha[edge] + _PREMULTIPLIED_SLACK).any())


def _sample_step(width: int, height: int) -> int:
    return max(1, round(math.sqrt(width * height / _SAMPLE_PIXELS)))


def looks_premultiplied(image: Image.Image) -> bool:
    """True when every semi-transparent pixel's colour is at most its alpha (a premultiplied file)."""
    step = _sample_step(image.width, image.height)
    if step > 1:
        size = (max(1, image.width // step), max(1, image.height // step))
        image = image.resize(size, Image.Resampling.NEAREST)
    return _premultiplied(np.asarray(image))


def flatten_array_onto_white(pixels: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], str]:
    """An LA or RGBA array blended onto white by libvips: an L or RGB array, and the step."""
    step = _sample_step(pixels.shape[1], pixels.shape[0])
    premultiplied = _premultiplied(pixels[::step, ::step])
    height, width, bands = pixels.shape
    contiguous = np.ascontiguousarray(pixels)
    image = pyvips.Image.new_from_memory(contiguous.data, width, height, bands, "uchar")
    if premultiplied:
        # colour + 255 - alpha, saturating (the cast clips): premultiplied "over" onto white.
        flat = (image.extract_band(0, n=bands - 1) + (255 - image[bands - 1])).cast("uchar")
    else:
        flat = image.flatten(background=[255] * (bands - 1))
    out: npt.NDArray[np.uint8] = np.ndarray(
        (height, width, bands - 1), np.uint8, flat.write_to_memory()
    )
    flattened = out[:, :, 0] if bands == 2 else out
    return flattened, "flatten_alpha:premultiplied" if premultiplied else "flatten_alpha"


def flatten_onto_white(image: Image.Image) -> tuple[Image.Image, str]:
    """An ``L`` or ``RGB`` image blended onto white, and the step that says how."""
    opaque_mode = image.mode[:-1]
    alpha = image.getchannel("A")
    if looks_premultiplied(image):
        # colour + 255 - alpha, saturating: premultiplied "over" onto white.
        uncovered = ImageChops.invert(alpha)
        bands = [ImageChops.add(band, uncovered) for band in image.split()[:-1]]
        return Image.merge(opaque_mode, bands), "flatten_alpha:premultiplied"
    white = 255 if opaque_mode == "L" else (255, 255, 255)
    background = Image.new(opaque_mode, image.size, white)
    # paste with a mask is colour x alpha + background x (1 - alpha): straight alpha.
    background.paste(image, (0, 0), alpha)
    return background, "flatten_alpha"
