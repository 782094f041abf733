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
"""

from __future__ import annotations

import numpy as np
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


def looks_premultiplied(image: Image.Image) -> bool:
    """True when every semi-transparent pixel's colour is at most its alpha (a premultiplied file)."""
    step = max(1, round((image.width * image.height / _SAMPLE_PIXELS) ** 0.5))
    if step > 1:
        size = (max(1, image.width // step), max(1, image.height // step))
        image = image.resize(size, Image.Resampling.NEAREST)
    pixels = np.asarray(image)
    alpha = pixels[..., -1].astype(np.int16)
    brightest = pixels[..., :-1].max(axis=-1).astype(np.int16)
    edge = (alpha > 0) & (alpha < 255)
    if int(edge.sum()) < _MIN_EDGE_SAMPLES:
        return False
    return not bool((brightest[edge] > alpha[edge] + _PREMULTIPLIED_SLACK).any())


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
