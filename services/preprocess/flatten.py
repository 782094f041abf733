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
# Checking every 4th row is enough: edges are continuous, and it keeps big cut-outs cheap.
_ROW_STRIDE = 4


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("LA", "RGBA")


def looks_premultiplied(image: Image.Image) -> bool:
    """True when every semi-transparent pixel's colour is at most its alpha (a premultiplied file)."""
    rows = np.asarray(image)[::_ROW_STRIDE]
    alpha = rows[..., -1].astype(np.int16)
    brightest = rows[..., :-1].max(axis=-1).astype(np.int16)
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
