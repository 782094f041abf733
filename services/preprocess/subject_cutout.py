"""The subject of a photo that has no plain backdrop, cut out onto white.

A product shot against a busy background (a patterned cloth, a shelf, a street) has
no border colour that marks what is backdrop, so the eye would take the whole frame as
the subject and the background's colours and edges would enter its description. This
module finds the subject the way GrabCut begins (without its graph cut): colour models
of the backdrop (the frame's border band) and of the subject (a centre box, the prior
that a buyer frames the product), each pixel's share of the subject model, smoothed over
its neighbours, thresholded, and the two models estimated again from that mask a few
times. The subject is kept only when the two models clearly disagree (a close crop of
a product, whose border shows the product's own colours, gives no confident mask) and
the mask is a compact part of the frame; then it is returned on white, the backdrop of
most listing photos.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Pixels = npt.NDArray[np.float32]

# Colour bins per channel (8 x 8 x 8 = 512 colours).
_LEVELS = 8
# The border band (fraction of the side) that models the backdrop, and the centre box's
# half side that first models the subject.
_BAND = 0.08
_CENTRE_HALF = 0.25
_ROUNDS = 3
# Neighbourhood (pixels at the working side) over which a pixel's subject share is averaged.
_SMOOTH = 5
# A pixel is subject when its smoothed share is above this.
_SHARE = 0.5
# The mask is kept when the subject covers this part of the frame ...
_AREA = (0.04, 0.7)
# ... its pixels' mean share exceeds the backdrop's by this much ...
_SEPARATION = 0.4
# ... and at most this part of the border band is subject.
_ON_BORDER = 0.25
# A busy backdrop: the border band's colours, as the perplexity of their histogram (the
# number of equally common colours that would spread as much), at least this many of the
# 512 bins.
_BUSY_COLOURS = 30.0


def _colour_index(pixels: Pixels) -> npt.NDArray[np.int64]:
    """Each pixel's colour bin (``_LEVELS`` levels per channel)."""
    levels = np.clip(pixels * (_LEVELS / 256.0), 0, _LEVELS - 1).astype(np.int64)
    index: npt.NDArray[np.int64] = levels @ np.array([_LEVELS * _LEVELS, _LEVELS, 1])
    return index


def _histogram(index: npt.NDArray[np.int64], where: npt.NDArray[np.bool_]) -> Pixels:
    counts = np.bincount(index[where], minlength=_LEVELS**3).astype(np.float32)
    # A little of every colour (a colour neither model has seen is neither side's).
    counts += 0.5
    histogram: Pixels = counts / counts.sum()
    return histogram


def _border(side: int) -> npt.NDArray[np.bool_]:
    """The border band of a square of ``side`` pixels (``_BAND`` of the side, 2 px at least)."""
    band = max(round(side * _BAND), 2)
    border = np.zeros((side, side), dtype=bool)
    border[:band], border[-band:], border[:, :band], border[:, -band:] = True, True, True, True
    return border


def _box_mean(field: Pixels, size: int) -> Pixels:
    """The mean over a size x size neighbourhood (edges repeated)."""
    padded = np.pad(field.astype(np.float64), size // 2, mode="edge")
    # Along the columns, then along the rows (a box is separable).
    rows = np.lib.stride_tricks.sliding_window_view(padded, size, axis=0).mean(axis=-1)
    mean: Pixels = (
        np.lib.stride_tricks.sliding_window_view(rows, size, axis=1)
        .mean(axis=-1)
        .astype(np.float32)
    )
    return mean


def subject_mask(pixels: Pixels) -> npt.NDArray[np.bool_] | None:
    """Where the subject of a square photo without a plain backdrop is, or None when it
    cannot be told from the backdrop with confidence."""
    side = pixels.shape[0]
    index = _colour_index(pixels)
    border = _border(side)
    low, high = round(side * (0.5 - _CENTRE_HALF)), round(side * (0.5 + _CENTRE_HALF))
    subject = np.zeros((side, side), dtype=bool)
    subject[low:high, low:high] = True
    backdrop = border
    share: Pixels = np.zeros((side, side), dtype=np.float32)
    for _ in range(_ROUNDS):
        inside, outside = _histogram(index, subject), _histogram(index, backdrop)
        raw = (inside / (inside + outside))[index]
        share = _box_mean(raw, _SMOOTH)
        subject = share > _SHARE
        backdrop = ~subject
        if not subject.any() or subject.all():
            return None
    area = float(subject.mean())
    if not _AREA[0] <= area <= _AREA[1]:
        return None
    if float(share[subject].mean() - share[backdrop].mean()) < _SEPARATION:
        return None
    if float(subject[border].mean()) > _ON_BORDER:
        return None
    return subject


def border_colours(pixels: Pixels) -> float:
    """How many colours the border band shows (the perplexity of its colour histogram)."""
    counts = np.bincount(
        _colour_index(pixels)[_border(pixels.shape[0])], minlength=_LEVELS**3
    ).astype(np.float64)
    shares = counts[counts > 0] / counts.sum()
    return float(np.exp(-(shares * np.log(shares)).sum()))


def cut_out(pixels: Pixels) -> Pixels | None:
    """A square photo's subject on white, when its border is busy (many colours) and the
    subject is found with confidence; else None."""
    if border_colours(pixels) < _BUSY_COLOURS:
        return None
    mask = subject_mask(pixels)
    if mask is None:
        return None
    cut: Pixels = np.where(mask[..., None], pixels, np.float32(255.0)).astype(np.float32)
    return cut
