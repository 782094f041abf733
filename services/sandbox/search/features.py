"""The visual feature vector the sandbox's image search compares.

A photo is padded to a square with its border colour (so a non-square buyer
photo keeps its proportions), cropped to its subject (:func:`subject_boxes`, a
crude version of the main-subject detection real engines run, so a product
off the centre or shot from further away still lines up), reduced to 64 x 64
with a box filter, and described by five blocks, each L2-normalised and
weighted:

1. **layout** (64 values): luminance pooled on an 8 x 8 grid, minus its mean
   and divided by its spread, so brightness and contrast changes cancel out
   while the silhouette and where the product sits stay.
2. **colour layout** (32): the two opponent-colour channels (red-green,
   yellow-blue) pooled on a 4 x 4 grid.
3. **colour histogram** (15): twelve hue bins weighted by chroma plus three
   grey bins (dark, mid, light), square-rooted (Hellinger), for the palette.
4. **edges** (24 + 8): gradient orientation histograms on 32 x 32 in 2 x 2
   cells (6 orientation bins each) plus one 8-bin histogram at 64 x 64 for
   fine texture, magnitude-weighted and square-rooted: shape and pattern.
5. **texture scale** (3): mean gradient strength at 64, 32 and 16 px,
   normalised, telling fine weaves and stripes from plain surfaces.

The search index subtracts the catalog's mean vector and re-normalises, so
cosine spreads over [-1, 1]; ``relevance`` orders results by it (never sent).
The raw vector also exposes what the ranking's quality penalty needs
(:func:`photo_quality`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image

SIDE = 64
Vector = npt.NDArray[np.float32]
Batch = npt.NDArray[np.float32]

_WEIGHTS = {"layout": 1.0, "colour_layout": 0.8, "hue": 1.0, "edges": 0.8, "scale": 0.4}
DIMENSIONS = 64 + 32 + 15 + 32 + 3


def square(image: Image.Image) -> Image.Image:
    """``image`` as RGB, padded to a square with its mean border colour."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    if width == height:
        return rgb
    pixels = np.asarray(rgb)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    fill = tuple(int(c) for c in border.mean(axis=0))
    side = max(width, height)
    canvas = Image.new("RGB", (side, side), fill)
    canvas.paste(rgb, ((side - width) // 2, (side - height) // 2))
    return canvas


_PROBE = 32
_SUBJECT_DIFF = 28
_MARGIN = 0.06


Box = tuple[float, float, float, float]
_WHOLE: Box = (0.0, 0.0, 1.0, 1.0)


def subject_boxes(probes: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """Where the product is in each square probe (n, s, s, 3): rows of (x0, y0, x1, y1).

    Pixels that differ clearly from the median border colour are the subject;
    the box spans them (ignoring 1 % stragglers each side), with a margin, made
    square. Nearly empty or nearly full masks (a swatch filling the frame)
    give the whole frame, as an engine's subject detector falls back to.
    """
    pixels = probes.astype(np.int16)
    n, side = pixels.shape[0], pixels.shape[1]
    border = np.concatenate(
        [pixels[:, 0], pixels[:, -1], pixels[:, :, 0], pixels[:, :, -1]], axis=1
    )
    reference = np.sort(border, axis=1)[:, border.shape[1] // 2]
    mask = np.abs(pixels - reference[:, None, None, :]).max(axis=3) > _SUBJECT_DIFF
    x0, x1 = _spans(mask.sum(axis=1), side)
    y0, y1 = _spans(mask.sum(axis=2), side)
    half = np.minimum(np.maximum(x1 - x0, y1 - y0) / 2 + _MARGIN, 0.5)
    cx = np.clip((x0 + x1) / 2, half, 1 - half)
    cy = np.clip((y0 + y1) / 2, half, 1 - half)
    boxes = np.stack([cx - half, cy - half, cx + half, cy + half], axis=1)
    fill = mask.reshape(n, -1).mean(axis=1)
    boxes[(fill < 0.02) | (fill > 0.85)] = _WHOLE
    return boxes


def _spans(
    counts: npt.NDArray[np.int64], side: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per row, as fractions of ``side``: where the middle 98 % of ``counts`` starts and ends."""
    cumulative = np.cumsum(counts, axis=1)
    total = cumulative[:, -1:]
    low = (cumulative > 0.01 * total).argmax(axis=1)
    high = (cumulative >= 0.99 * total).argmax(axis=1)
    return low / side, (high + 1) / side


def shrink(image: Image.Image, side: int) -> Image.Image:
    """A box-filtered ``side`` x ``side`` copy of a square image (reducing big ones first)."""
    if image.size[0] >= 4 * side:
        image = image.reduce(image.size[0] // (2 * side))
    return image.resize((side, side), Image.Resampling.BOX)


def _crop(squared: Image.Image, box: Box) -> Image.Image:
    if box == _WHOLE:
        return squared
    side = squared.size[0]
    left, top, right, bottom = (round(v * side) for v in box)
    return squared.crop((left, top, right, bottom))


def framed(image: Image.Image) -> tuple[Image.Image, Box]:
    """``image`` squared and cropped to its subject, with the subject box used."""
    squared = square(image)
    row = subject_boxes(np.asarray(shrink(squared, _PROBE))[None])[0]
    box: Box = (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
    return _crop(squared, box), box


def thumbnail(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The 64 x 64 RGB array of the subject the features are computed from."""
    return np.asarray(shrink(framed(image)[0], SIDE))


def thumbnails(squares: list[Image.Image]) -> npt.NDArray[np.uint8]:
    """:func:`thumbnail` of many square RGB images, the subject boxes found in one batch."""
    probes = np.stack([np.asarray(shrink(image, _PROBE)) for image in squares])
    boxes = subject_boxes(probes)
    out = np.empty((len(squares), SIDE, SIDE, 3), dtype=np.uint8)
    for i, (image, row) in enumerate(zip(squares, boxes, strict=True)):
        box: Box = (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
        out[i] = np.asarray(shrink(_crop(image, box), SIDE))
    return out


@lru_cache(maxsize=16)
def _pooling(side: int, cells: int) -> Batch:
    """A (side, cells) matrix averaging runs of ``side // cells`` pixels."""
    matrix = np.zeros((side, cells), dtype=np.float32)
    step = side // cells
    for cell in range(cells):
        matrix[cell * step : (cell + 1) * step, cell] = 1.0 / step
    return matrix


def _pool(channel: Batch, cells: int) -> Batch:
    """Mean over a ``cells`` x ``cells`` grid, shape (n, cells, cells).

    Two small matrix products: far faster than reducing a reshaped array.
    """
    matrix = _pooling(channel.shape[1], cells)
    return np.asarray(matrix.T @ channel @ matrix, dtype=np.float32)


def _unit(block: Batch) -> Batch:
    norm = np.linalg.norm(block, axis=1, keepdims=True)
    return np.asarray(block / np.maximum(norm, np.float32(1e-6)), dtype=np.float32)


def _halve(channel: Batch) -> Batch:
    return _pool(channel, channel.shape[1] // 2)


def _gradients(lum: Batch) -> tuple[Batch, Batch, Batch]:
    """Central differences as magnitude and the doubled-angle vector.

    ``(gx^2 - gy^2, 2 gx gy) / |g|`` is ``|g| (cos 2t, sin 2t)``: an unsigned
    orientation without arctan, which bins by projection.
    """
    gx = np.zeros_like(lum)
    gy = np.zeros_like(lum)
    gx[:, :, 1:-1] = lum[:, :, 2:] - lum[:, :, :-2]
    gy[:, 1:-1, :] = lum[:, 2:, :] - lum[:, :-2, :]
    mag = np.sqrt(gx * gx + gy * gy)
    safe = np.maximum(mag, np.float32(1e-6))
    cos2 = np.asarray((gx * gx - gy * gy) / safe, dtype=np.float32)
    sin2 = np.asarray(2 * gx * gy / safe, dtype=np.float32)
    return mag, cos2, sin2


def _orientation_hist(cos2: Batch, sin2: Batch, bins: int, cells: int) -> Batch:
    """Soft orientation bins (half-wave projections), summed per cell."""
    n = cos2.shape[0]
    out = []
    for k in range(bins):
        phi = 2 * np.pi * k / bins
        lobe = np.maximum(cos2 * np.float32(np.cos(phi)) + sin2 * np.float32(np.sin(phi)), 0.0)
        out.append(_pool(lobe, cells).reshape(n, -1))
    return np.sqrt(np.stack(out, axis=2).reshape(n, -1))


def _hue_hist(o1: Batch, o2: Batch, lum: Batch) -> Batch:
    """Twelve chroma-weighted hue bins and three grey bins, on 32 x 32."""
    o1, o2, lum = _halve(o1), _halve(o2), _halve(lum)
    n = o1.shape[0]
    chroma = np.sqrt(o1 * o1 + o2 * o2).reshape(n, -1)
    hue = np.mod(np.arctan2(o2, o1), 2 * np.pi).reshape(n, -1)
    hue_bin = np.minimum((hue * (12 / (2 * np.pi))).astype(np.int32), 11)
    colour_w = np.clip(chroma / 0.15, 0.0, 1.0)
    grey_bin = 12 + np.minimum((lum.reshape(n, -1) * 3).astype(np.int32), 2)
    rows = (np.arange(n, dtype=np.int32) * 15)[:, None]
    hist = np.bincount((rows + hue_bin).ravel(), weights=colour_w.ravel(), minlength=n * 15)
    hist += np.bincount(
        (rows + grey_bin).ravel(), weights=(1.0 - colour_w).ravel(), minlength=n * 15
    )
    return np.sqrt(hist.reshape(n, 15)).astype(np.float32)


def extract_batch(pixels: npt.NDArray[np.uint8]) -> Batch:
    """Raw feature vectors for ``pixels`` of shape (n, 64, 64, 3)."""
    rgb = pixels.astype(np.float32) * np.float32(1 / 255)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    lum = (red + green + blue) * np.float32(1 / 3)
    o1 = (red - green) * np.float32(1 / np.sqrt(2.0))
    o2 = (red + green - 2.0 * blue) * np.float32(1 / np.sqrt(6.0))
    n = pixels.shape[0]
    layout = _pool(lum, 8).reshape(n, -1)
    layout = (layout - layout.mean(axis=1, keepdims=True)) / np.maximum(
        layout.std(axis=1, keepdims=True), 0.02
    )
    small = _halve(lum)
    mag64, cos64, sin64 = _gradients(lum)
    mag32, cos32, sin32 = _gradients(small)
    mag16 = _gradients(_halve(small))[0]
    blocks = {
        "layout": layout,
        "colour_layout": np.concatenate(
            [_pool(o1, 4).reshape(n, -1), _pool(o2, 4).reshape(n, -1)], axis=1
        ),
        "hue": _hue_hist(o1, o2, lum),
        "edges": np.concatenate(
            [_orientation_hist(cos32, sin32, 6, 2), _orientation_hist(cos64, sin64, 8, 1)], axis=1
        ),
        "scale": np.concatenate([_pool(m, 1).reshape(n, 1) for m in (mag64, mag32, mag16)], axis=1),
    }
    parts = [_unit(block) * np.float32(_WEIGHTS[name]) for name, block in blocks.items()]
    return np.concatenate(parts, axis=1, dtype=np.float32)
