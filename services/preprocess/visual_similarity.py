"""factoryfinder's own eye: how much an offer's main image shows the product in the buyer's photo.

1688's image search sends no similarity, only its relevance order, so the
visual similarity every answer rests on is measured here. The callers see one
small interface, :class:`Comparator` (``describe`` an image once, then
``similarity`` between two descriptions), so a learned embedding can replace
the built-in descriptor without touching them.

The built-in method, ``ff-visual-5``, is a set of views per image, each a
vector of four unit-length coarse blocks and two fine ones, compared by cosine:

1. **Framing.** The image is reduced to about 128 px, padded to a square with
   its border colour (a reseller's padding and a portrait phone shot keep the
   product's proportions) and its *subject* is found: the pixels that differ
   from the backdrop (row by row, so a studio backdrop's gradient and a
   table's edge stay backdrop; a full-width banner is left out). The subject
   is framed a second time against its own backdrop: a studio photo inside a
   phone shot's frame or a screenshot's page, a padded picture. A view is a
   square crop: the whole frame, the outer subject, the inner subject, and the
   inner subject's centre at 85, 70, 60, 50 and 42 % (a buyer's close crop
   shows only the middle of the product, anything from a third to most of it),
   and an offer's also at 35 % (a very tight crop of a product that fills its
   frame; the buyer's photo has no use for it, and it is compared only with a
   buyer's photo whose subject reaches two opposite edges of its frame: a close
   or very tight crop, or no backdrop at all).
   A buyer's photo without a plain backdrop whose border is busy (many colours:
   a cluttered shelf, a patterned cloth) also has its subject cut out onto white
   (``subject_cutout.py``: colour models of the border and of a centre box,
   GrabCut's start without its graph cut) and framed the same way.
   The buyer's photo adds windows over the frame at three scales (a product on
   a cluttered table, off centre or shot from further away), the frame's centre
   at 92 and 84 %, its inner subject turned by -20 and +20 degrees (a phone
   held askew; the grids are not rotation-invariant), and the frame's and the
   subject's views mirrored (a selfie camera, a reseller's flipped copy; the
   grids are not mirror-invariant either) and turned a quarter either way (a
   photo taken sideways whose EXIF orientation was lost).
2. **Blocks**, on each view at 32 x 32:
   - *layout*: luminance on an 8 x 8 grid, minus its mean, unit length (the
     silhouette; brightness and contrast cancel out);
   - *colour layout*: the two opponent channels (red-green, yellow-blue) on a
     4 x 4 grid divided by the view's luminance spread, so a dim, washed-out
     shot (every channel squeezed towards grey alike) keeps its colours, and a
     reseller's colour cast of a few percent moves them little;
   - *palette*: twelve hue bins weighted by chroma and three grey bins,
     square-rooted (Hellinger), blind to where the colours are;
   - *edges*: gradient orientation histograms (8 bins) on a 4 x 4 grid,
     square-rooted: the outline and the surface pattern. Each gradient's
     magnitude loses ``_EDGE_NOISE`` (6 levels) first, so a dim or noisy
     shot's grain does not fill every bin;
   - *fine* (``FINE_WEIGHT`` = 0.15 of the cosine, the four above 0.85): the
     luminance layout on a 16 x 16 grid and the edge histograms on an 8 x 8
     grid of the same 32 px view, equally weighted. Look-alikes of one family
     (drawer slides, spanners, kraft bags) share the coarse grids; a bar's
     thickness, a slightly different tilt or a handle's curve show at 2-4 px.
3. **Similarity** between the buyer's photo and an offer is the best cosine
   ``c`` over every pair of their views, as ``100 * t**2`` with
   ``t = (c - FLOOR) / (1 - FLOOR)`` clamped to [0, 1]. The square spreads the
   top, where a best-of-many cosine crowds: measured on the sandbox catalog
   (84 buyer photos under seven conditions, the 20 offers the search returned),
   the pictured product's offers score a median 77 (a quarter below 62) and
   the other offers a median 16 (nine in ten below 38). Crops, watermarks,
   banners and re-encoding leave most of a view unchanged; the window search
   finds the product wherever the buyer framed it.
4. **Grey-scale photos.** When the buyer's photo carries (almost) no chroma
   (the 99th percentile of its pixels' opponent-channel length, at 128 px,
   below ``GREY_CHROMA`` = 4 RGB levels: a grey-scale JPEG with a phone's
   noise measures 1.6, the catalog's offer photos a median 93 and a 1st
   percentile of 4.5), its colour says nothing of the offer's: both sides are
   compared on the luminance layout and edge grids alone (the colour layout
   and palette blocks left out, the coarse part scaled back to its 0.85 share).
   A photo of a product that is grey itself (steel on a grey backdrop) is
   compared colour-blind too; coloured look-alikes of its shape then come
   closer, though not first (see the figures below).

Before the views are cut, pixels close to the border colour are turned grey
(:func:`neutral_background`): only the product's colours count, not the
backdrop's tint (which a reseller's colour cast changes most).

Why this method (measured on the sandbox catalog: 16 products, buyer photos
under five conditions, the 20 offers the search returned, counting how often
the best-scored offer shows the pictured product among the 73 cases where one
was returned): this grid method 71/73 at about 60 ms of CPU per 20 offers;
ORB keypoints matched with a ratio test and RANSAC homography inliers (OpenCV
5.0, 300 features at 256 px) 68/73 at 176-212 ms, over the 150 ms budget alone
and blind to colour (two T-shirts of one cut in different colours match);
the two summed 72/73 at the cost of both. Catalog photos are flat-shaded, so
keypoints are few and far between where the product has no print; a learned
embedding is the next step, behind the same interface. Within the grid method,
framing the subject twice (phone shots: 20/24 → 24/24) and keeping the border
colour only where the border is mostly one colour (close crops) mattered more
than the blocks' weights (three weightings within one case of each other).

The edge noise floor, the turned buyer views and the extra centres were
measured together on offline replays of searches (the 20 offers the sandbox
returned, eye alone: does the best-scored offer show the pictured product):
seed 1688, the bench's seven conditions, 344 cases: 331 -> 334; five
conditions the bench does not use (a tighter and a looser close crop, a photo
turned 12-30 degrees, a busier table, a dim shot under warm light), 170 cases:
139 -> 161 (the turned photos 42/58 -> 56/58); the same on seed 7: 156 -> 160
of 168 and 64 -> 71 of 90; the best-scored offer is the source 74.1 -> 78.1 %
(seed 1688) and 67.4 -> 71.7 % (seed 7). The pictured product's offers
moved up (median 73.4 -> 77.8, lower quartile 54.9 -> 62.0) while the other
offers stayed where they were (median 12.9 -> 11.9, nine in ten below 41).
A noise floor of 4 or 9 levels did no better on either seed (9: seed 7's
check-only conditions 71 -> 67); four off-centre subject views per offer (60 %,
shifted 0.4 of the half side) lost a case on each seed and raised the other
offers' median on seed 7 (13.6 -> 15.7). The floor moves near-duplicate
pairing a little: among the search results of seed 1688, same-product pairs
paired 76.9 -> 75.2 %, different-product pairs 0.42 -> 0.40 %.

The fine blocks (``ff-visual-1`` had the coarse ones only) were measured on the
quality bench's own cases (``tests/bench/bench_quality.py``: 30 products x 7
conditions and 50 three-photo verifications, both row shapes, searched through
the whole stack) on seed 1688 and on held-out seeds 7 and 11, none tuned on
(first offer the source / the pictured product / verification's source first,
of reachable cases, ff-visual-1 -> ff-visual-2): seed 1688 live 149 -> 150 /
166 -> 168 / 43 -> 43, doc2026 152 -> 151 / 166 -> 168 / 43 -> 44; seed 7 live
144 -> 147 / 162 -> 164 / 45 -> 44, doc2026 142 -> 144 / 158 -> 160 / 44 -> 42;
seed 11 live 148 -> 148 / 164 -> 165 / 37 -> 37, doc2026 149 -> 149 / 165 ->
166 / 39 -> 39. The eye alone (does the best-scored offer show the pictured
product) 167 -> 169 of 176, 160 -> 162 of 168 and 165 -> 166 of 170, no case
lost. The pictured product's offers score a little lower (median 83 -> 79)
and the other offers lower still (median 11 -> 7, nine in ten below 34).
Weighed and not kept: 0.1 fixed nothing, 0.2 and more lost the source behind its resellers' copies
(best-scored offer the source 133 -> 126 of 164 at 0.2: a copy's re-encoding
and crop blur the fine grids the way a buyer's photo is blurred); the fine
grids on a 64 px cut of each view (2x the resolution) scored one case better
on seed 1688 and cost +39 % CPU; the edge grid alone lost the source more
(120 of 164), the layout grid alone fixed less; only penalising fine
disagreement beyond the coarse one (the similarity kept where the fine grids
agree) fixed fewer cases (168, 162, 165).

The mirrored buyer views were measured through the whole stack on 20 products the
quality bench does not pick, photos mirrored with a phone's noise (seed 1688, live):
the pictured product first 16 -> 19 of 19 reachable, the source 16 -> 19; the bench's
own cases unchanged on seed 1688 (both row shapes) and seed 7 (live), case for case in
the totals; ~0.5 ms more CPU per search (8 more buyer views among ~200 described).

``ff-visual-3`` (``ff-visual-2`` plus the quarter-turned buyer views and the colour-blind
comparison of a grey-scale photo) was measured through the whole stack on the held-out
bench (``tests/bench/bench_unseen.py``: 20 products the quality bench does not pick, 11
conditions, live rows; of reachable cases, first offer the source / the pictured
product): seed 1688 grey-scale 3/5 -> 5/5 / 3/5 -> 5/5, quarter turn 2/4 -> 4/4 / 2/4
-> 4/4, all 127/145 -> 131/145 / 143/156 -> 147/156; seed 7 grey-scale 8/8 -> 8/8 / 9/10
-> 10/10, quarter turn 3/7 -> 6/7 / 3/8 -> 7/8, all 137/149 -> 140/149 / 148/162 ->
153/162; the other nine conditions unchanged case for case. The quality bench (first offer the
source / the pictured product / verification's source first, of reachable): seed 1688
unchanged (live 150/164, 168/176, 43/45; doc2026 151/164, 168/176, 44/45; the eye alone
169 -> 170 of 176 on both); seed 7 live 146 -> 145 of 159 / 164 / 45 of 47: the lost
source is a close crop of a grey product, compared colour-blind (the quarter turns alone
keep 146; the colour-blind comparison alone gives 145), where a reseller's colour cast
had told its copy from the source. The eye alone on 40
products of seed 1688 (a buyer photo against its product's offers and 18 offers of
same-kind look-alikes): grey-scale photos the product best 32 -> 40 (its median 54 ->
96; the look-alikes' median 6 -> 22), quarter turns 27 -> 40 (median 7 -> 97), phone,
tight-crop, table, busy and dim photos unchanged (the look-alikes' scores within a
point, the dim ones' 90th percentile 11 -> 16: a dim shot of a grey product is compared
colour-blind). CPU: the buyer's photo is described in ~16.7 ms instead of ~13.3 (16 more
views); the offers' descriptions are unchanged.

``ff-visual-4`` (``ff-visual-3`` plus the offers' subject centre at 35 %) was measured
through the whole stack on the held-out bench (seed 1688, live, of reachable cases;
first offer the source / the pictured product; the answer's source of all 20): very
tight crops (28-38 % of the frame) 6/11 -> 8/11 / 12/14 -> 12/14; 5 -> 7, the other ten
conditions unchanged case for case, all 131/145 -> 133/145 / 147/156 -> 147/156; seed 7:
the answer unchanged case for case (tight 7/9 / 9/11), the eye alone on tight crops
(best-scored offer the pictured product / the source) 8/11 -> 9/11 / 2/9 -> 3/9. On the
quality bench (seed 1688, of reachable; first offer the source / the pictured product):
the close crops 22/26 -> 23/26 (live) and 23/26 -> 24/26 (doc2026), the other photo
conditions unchanged case for case; the three-photo verifications live 43/45 -> 44/45 /
45/47 -> 45/47 but doc2026 44/45 -> 43/45 / 45/47 -> 44/47 (one verification lost on
that row shape, the same with a 32 % centre: a table, phone and dim shot of a small
product whose source scores 57 while two same-kind offers of other products rose from
about 60 to 60-62 with the extra view, one of them now first). A 32 % centre gave the same
held-out figures (the answer's source 5 -> 8) and left the quality bench's close crops
unchanged. An offer is described in one view more (nine instead of eight); the buyer's
photo is unchanged.

``ff-visual-5`` (``ff-visual-4`` plus a busy background's subject cut out) was measured
through the whole stack on the held-out bench (live, of reachable cases; first offer the
source / the pictured product): seed 1688 busy backgrounds 5/10 -> 8/10 / 9/13 -> 12/13,
all 133/145 -> 136/145 / 147/156 -> 150/156; seed 7 busy 6/9 -> 8/9 / 8/11 -> 9/11, all
140/149 -> 142/149 / 153/162 -> 154/162; the other ten conditions unchanged case for case
on both seeds. The eye alone on the held-out busy photos (20 products, each against its
offers and the first three offers of six same-kind products; the source scored best): 12
-> 15 (seed 1688), 12 -> 16 (seed 7). On the quality bench (seed 1688) every case is
unchanged. The cut-out is made only when the photo has no plain backdrop, its border band
shows at least 30 colours (the perplexity of its 8 x 8 x 8 colour histogram: the held-out
busy photos 32-360, every other condition of both benches at most 26 on 15 products) and
the mask is confident; its views are added to the photo's, not put in their place
(replacing them lost three busy cases whose catalog photo is a scene the offers share).
CPU (in process, one thread, the best of five): a busy photo is described in ~20 ms
instead of ~16-18 (ten more views and the mask); other photos and the offers unchanged.

The offers' 35 % centre is compared only with a buyer's photo whose subject reaches two
opposite edges of its frame (within 2 % of its side; a photo without a plain backdrop
does): a close or very tight crop shows a part of the product, a whole product's photo
has no use for an offer's middle third, which only lets look-alikes come closer. Measured
through the whole stack with the cut-out: the quality bench (seed 1688) three-photo
verifications doc2026 43/45 -> 44/45 (the table, phone and dim shot ``ff-visual-4`` lost:
none of its photos fills its frame; the first other product's similarity on its dim photo
36.8 -> 34.1), live 44/45, every photo case unchanged; the held-out bench unchanged case
for case on both seeds (the very tight crops keep 8/11 and 7/9: their subject reaches the
frame's edges). On seed 7's quality bench every first offer is unchanged case for case
(live 145/159, 164/168, verifications 45/47; doc2026 144/159, 161/168, 44/47); the eye
alone (the best-scored offer the source) 125 -> 124 of 159 on both row shapes: a dim
photo's source lost its 35 % view's help (the answer's first offer is unchanged).
The similarity compares one view fewer for most photos (20 similarities 0.9 -> 0.7 ms).

Near-duplicates among offers (a reseller reusing the factory photo) compare
view for view (frame with frame, subject with subject, centre with centre) and
take the best: a copy matches its original in the same framing, while two
products of one family would need a different framing of each to look alike.
Measured on the sandbox (339 same-product and 4411 different-product pairs
among search results): at ``DUPLICATE_SIMILARITY`` = 72, 72 % of the copies
are paired and 14 pairs of different products (0.3 %); any framing against any
other paired 73 % with 16 false, the frame and subjects alone 67 % with 15.
Near-duplicates are scored on the coarse blocks alone (as ``ff-visual-1`` scored
them): the fine grids in the pairing too (on seed 7, live) lost one source and
one pictured product first that the coarse pairing kept.

So that a buyer-side similarity can be weighed against a pair's, the comparison
also reports it on the pairs' scale (:attr:`Similarity.pair_scale`): the cosine
of the coarse blocks alone, of the very two views (the buyer photo's view or
window, the offer's view) whose full cosine gave the similarity, divided by
their share (1 - ``FINE_WEIGHT``) and mapped to 0-100 the same way. It is not
the best coarse cosine over all pairs of views: it says how the chosen match
looks to the pair measure, not a second search.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

import numpy as np
import numpy.typing as npt
from PIL import Image

from services.preprocess.subject_cutout import cut_out
from shared.phash import phash

Floats = npt.NDArray[np.float32]
Box = tuple[float, float, float]  # a square: centre x, centre y, half side (frame fractions)

METHOD = (
    "ff-visual-5: best cosine over subject-framed views (the photo's also mirrored and turned "
    "a quarter either way and, on a busy background, its subject cut out onto white; the "
    "offer's also its subject's centre at 35 %, for a photo whose subject reaches two "
    "opposite edges) and windows of "
    "colour layout, palette, luminance layout and edge-orientation grids (0.85) and the "
    "luminance layout and edge-orientation grids twice as fine (0.15), "
    "100*((cos-0.55)/0.45)^2; a grey-scale photo (99th percentile chroma < 4) is compared "
    "without the colour layout and palette"
)
WORK_SIDE = 128
VIEW_SIDE = 32
# Each view is also described on grids twice as fine (luminance layout 16 x 16, edges 8 x 8:
# the detail that tells look-alikes of one family apart, a bar's thickness, a slight tilt),
# weighted ``FINE_WEIGHT`` of the cosine.
FINE_WEIGHT = 0.15
FLOOR = 0.55
# Views every description has, in this order: frame, subject, the subject inside it, its
# centre at 70 %, 50 % (near-duplicates compare these, view for view).
CORE_VIEWS = 5
_SUBJECT_ZOOMS = (0.7, 0.5)
# More centres of the subject after the core views (a buyer's close crop keeps anything
# from a third to most of the product).
_MORE_SUBJECT_ZOOMS = (0.85, 0.6, 0.42)
# An offer's description adds its subject's centre at these scales (a buyer's very tight
# crop, a third of the product or less; the buyer's own photo has no use for them).
_OFFER_ZOOMS = (0.35,)
# ... compared only with a buyer's photo whose subject reaches two opposite edges of the
# frame, within this fraction of its side.
_EDGE_REACH = 0.02
# The buyer's photo adds: its subject turned by these angles (degrees; a phone held askew),
# the frame's centre at these scales (a photo framed a little tighter than the listing's),
# and windows: (scale of the frame, positions per side).
_QUERY_TURNS = (-20.0, 20.0)
_QUERY_ZOOMS = (0.92, 0.84)
# The buyer's photo is also searched by windows: (scale of the frame, positions per side).
_WINDOWS = ((0.8, 2), (0.62, 3), (0.45, 3))
_BLOCK_WEIGHTS = {"layout": 0.8, "colour": 1.1, "palette": 1.0, "edges": 1.0}
_HUE_BINS = 12
_GREY_BINS = 3
_ORIENTATION_BINS = 8
# The coarse blocks' length: layout 8 x 8, colour 2 x 4 x 4, palette, edges 4 x 4 x 8.
COARSE_DIM = 64 + 32 + _HUE_BINS + _GREY_BINS + 16 * _ORIENTATION_BINS
# Where the colour and palette blocks sit in a view vector (after the 8 x 8 layout).
_COLOUR_BLOCKS = slice(64, 64 + 32 + _HUE_BINS + _GREY_BINS)
# A photo whose 99th percentile of chroma (the opponent channels' length, in RGB levels, at
# WORK_SIDE) is below this is grey-scale: a grey JPEG with a phone's noise measures 1.6, the
# catalog's offer photos 93 (median) and 4.5 (1st percentile: a grey product on grey).
GREY_CHROMA = 4.0
# The buyer's photo turned a quarter either way (no EXIF, a phone held sideways): the frame's
# and the subject's views, like the mirrored ones.
_QUARTER_TURNS = (1, 3)
# Gradient magnitude (luminance levels over two pixels) below which an edge is sensor noise
# or JPEG ringing, not an outline: a dim or noisy shot otherwise fills every orientation bin.
_EDGE_NOISE = 6.0
_SUBJECT_THRESHOLD = 40.0  # summed RGB distance from the border colour
# At least this share of the border must be close to the backdrop's colour (row by row) for
# there to be a backdrop at all.
_BACKDROP_SHARE = 0.6


class UnreadableImage(ValueError):
    """The bytes are not an image this service decodes, or break its caps."""


@dataclass(frozen=True)
class Descriptor:
    """What the comparison keeps of an image: unit-length view vectors, the first ``core``
    the framings every description has, in the same order."""

    views: Floats
    core: int
    # The image carries (almost) no chroma (a grey-scale photo): compared colour-blind.
    colourless: bool = False
    # An offer's: how many of its last views are its subject's tightest centres (compared
    # only with a buyer's photo that ``fills_frame``).
    tight: int = 0
    # A buyer photo's: its subject reaches two opposite edges of the frame (a close or very
    # tight crop, or no backdrop at all).
    fills_frame: bool = False


@dataclass(frozen=True)
class Similarity:
    """A buyer's photo against an offer's image (0-100), and optionally the same comparison
    on the scale of ``duplicate_similarity`` (``pair_scale``: what the pair measure would
    say of the views the similarity chose; None when the method has no such scale, and
    callers then use ``value``)."""

    value: float
    pair_scale: float | None = None


class Comparator(Protocol):
    """Describes an image once; compares two descriptions (0-100)."""

    method: str

    def describe(self, image: Image.Image, *, search_windows: bool) -> Descriptor: ...

    def similarity(self, query: Descriptor, candidate: Descriptor) -> Similarity: ...

    def duplicate_similarity(self, first: Descriptor, second: Descriptor) -> float: ...


def decode_small(data: bytes, max_pixels: int, side: int = WORK_SIDE) -> Image.Image:
    """``data`` as an RGB image about ``side`` px on its long side, decoded at a reduced
    scale where the format allows it (JPEG DCT scaling). The pixel cap is checked on the
    header, before any pixel is decoded."""
    try:
        opened = Image.open(io.BytesIO(data), formats=("JPEG", "PNG", "WEBP", "GIF", "BMP"))
        if opened.width * opened.height > max_pixels:
            raise UnreadableImage(
                f"the image has {opened.width}x{opened.height} pixels; at most {max_pixels}"
            )
        opened.draft("RGB", (side, side))
        image: Image.Image = opened
        if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        ):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        image = image.convert("RGB")
        image.thumbnail((side, side), Image.Resampling.BOX)
        return image
    except UnreadableImage:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise UnreadableImage(f"not a readable image ({type(exc).__name__})") from exc


def image_phash(image: Image.Image) -> int:
    """The 64-bit perceptual hash shared by every service (shared/phash.py)."""
    return phash(image)


def _square(image: Image.Image) -> npt.NDArray[np.float32]:
    """The image padded to a square by repeating its edge pixels (a backdrop's gradient runs
    on into the padding, where one colour would break it)."""
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape[:2]
    side = max(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    canvas: npt.NDArray[np.float32] = np.pad(
        pixels, ((top, side - height - top), (left, side - width - left), (0, 0)), mode="edge"
    )
    return canvas


def _span(mask: npt.NDArray[np.bool_], axis: int) -> tuple[float, float] | None:
    """Where at least 2 % of a line is subject, along ``axis``, as fractions [start, end)."""
    share = mask.mean(axis=axis)
    hits = np.flatnonzero(share > 0.02)
    if hits.size == 0:
        return None
    return hits[0] / share.size, (hits[-1] + 1) / share.size


def _median3(
    a: npt.NDArray[np.float32], b: npt.NDArray[np.float32], c: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The element-wise median of three arrays (``np.median`` over an axis of three, exactly,
    without its sort)."""
    median: npt.NDArray[np.float32] = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return median


def background_field(
    pixels: npt.NDArray[np.float32], border: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The backdrop's colour row by row, (side, 1, 3): where a row's outermost pixels on both
    sides agree, their mean (smoothed over neighbouring rows), else the border's colour. A
    studio backdrop darkens towards the bottom and a table scene changes colour at the
    table's edge; one colour for the whole border would call them subject."""
    left = _median3(pixels[:, 0], pixels[:, 1], pixels[:, 2])
    right = _median3(pixels[:, -3], pixels[:, -2], pixels[:, -1])
    agree = np.abs(left - right).sum(axis=1, keepdims=True) < 30
    rows = np.where(agree, (left + right) / 2, border[None, :])
    kernel = np.ones(5, dtype=np.float32) / 5
    padded = np.concatenate([rows[:2][::-1], rows, rows[-2:][::-1]])
    smooth = np.stack([np.convolve(padded[:, c], kernel, mode="valid") for c in range(3)], axis=1)
    field: npt.NDArray[np.float32] = smooth[:, None, :].astype(np.float32)
    return field


def subject_box(
    pixels: npt.NDArray[np.float32], background: npt.NDArray[np.float32]
) -> tuple[float, float, float]:
    """The square box (cx, cy, half side, in fractions) around what differs from the
    backdrop (``background``: one colour, or one per row); the whole frame when nothing or
    almost everything does."""
    left, top, right, bottom = subject_span(pixels, background)
    half = max(bottom - top, right - left) / 2 * 1.06
    return (left + right) / 2, (top + bottom) / 2, min(max(half, 0.08), 0.5)


def _distance(
    pixels: npt.NDArray[np.float32], background: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Each pixel's distance from the backdrop (the sum of its channels' differences)."""
    # Channel by channel, summed in the same order as ``.sum(axis=2)``: numpy broadcasts a
    # (side, 1, 3) backdrop over a last axis of 3 several times slower.
    distance: npt.NDArray[np.float32] = np.abs(pixels[..., 0] - background[..., 0])
    distance += np.abs(pixels[..., 1] - background[..., 1])
    distance += np.abs(pixels[..., 2] - background[..., 2])
    return distance


def subject_span(
    pixels: npt.NDArray[np.float32],
    background: npt.NDArray[np.float32],
    distance: npt.NDArray[np.float32] | None = None,
) -> tuple[float, float, float, float]:
    """The rectangle (left, top, right, bottom, in fractions) of what differs from the
    backdrop; the whole frame when nothing or almost everything does. ``distance``: the
    pixels' :func:`_distance` from ``background`` when already known."""
    if distance is None:
        distance = _distance(pixels, background)
    mask = distance > _SUBJECT_THRESHOLD
    # A full-width strip of one colour (a reseller's price banner, an app's bar) is not the
    # subject: leave such rows out.
    full = np.flatnonzero(mask.mean(axis=1) > 0.9)
    if full.size:
        strip = pixels[full].std(axis=1).max(axis=1) < 12
        mask[full[strip]] = False
    share = float(mask.mean())
    rows, cols = _span(mask, 1), _span(mask, 0)
    if rows is None or cols is None or share < 0.01 or share > 0.97:
        return 0.0, 0.0, 1.0, 1.0
    return cols[0], rows[0], cols[1], rows[1]


def neutral_background(
    pixels: npt.NDArray[np.float32],
    background: npt.NDArray[np.float32],
    distance: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """Pixels close to the border colour turned grey (their luminance kept): a backdrop's tint
    says nothing about the product, and a reseller's colour cast turns a pale lavender
    backdrop pink; the product's own colours move only by the cast's few percent.
    ``distance``: as for :func:`subject_span`."""
    if distance is None:
        distance = _distance(pixels, background)
    weight = np.clip((distance - 20.0) / 40.0, 0.0, 1.0)
    grey = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    # Channel by channel (as in _distance): the same arithmetic as broadcasting over the
    # channels, several times faster.
    neutral: npt.NDArray[np.float32] = np.empty_like(pixels, dtype=np.float32)
    for channel in range(3):
        neutral[..., channel] = grey + weight * (pixels[..., channel] - grey)
    return neutral


def _windows() -> list[Box]:
    """Square windows over the unit frame, at the scales of ``_WINDOWS``."""
    boxes: list[Box] = []
    for scale, steps in _WINDOWS:
        half = scale / 2
        step = (1 - scale) / max(steps - 1, 1)
        for row in range(steps):
            for col in range(steps):
                boxes.append((half + col * step, half + row * step, half))
    return boxes


def _pixel_box(box: Box, side: int) -> tuple[int, int, int, int]:
    cx, cy, half = box
    return (
        round((cx - half) * side),
        round((cy - half) * side),
        round((cx + half) * side),
        round((cy + half) * side),
    )


def _cut(image: Image.Image, box: Box, fill: tuple[int, ...]) -> Image.Image:
    """The square ``box`` of a square image; outside the frame: ``fill``."""
    left, top, right, bottom = _pixel_box(box, image.width)
    if left >= 0 and top >= 0 and right <= image.width and bottom <= image.height:
        return image.crop((left, top, right, bottom))
    padded = Image.new("RGB", (max(right - left, 1), max(bottom - top, 1)), fill)
    padded.paste(image, (-left, -top))
    return padded


@dataclass(frozen=True)
class _Level:
    """One framing of a square picture: its subject box and its pixels with the backdrop
    turned grey."""

    subject: Box
    span: tuple[float, float, float, float]
    neutral: Image.Image
    grey: tuple[int, ...]
    # Whether a plain backdrop was found around the subject (else the frame is all subject).
    backdrop: bool = True


def _level(canvas: npt.NDArray[np.float32]) -> _Level:
    edge = np.concatenate([canvas[0], canvas[-1], canvas[:, 0], canvas[:, -1]])
    border = np.median(edge, axis=0).astype(np.float32)
    grey = round(float(border @ np.array([0.299, 0.587, 0.114])))
    background = background_field(canvas, border)
    distance = _distance(canvas, background)
    on_edge = np.concatenate([distance[0], distance[-1], distance[:, 0], distance[:, -1]])
    if (on_edge < _SUBJECT_THRESHOLD).mean() < _BACKDROP_SHARE:
        # No backdrop around it (a close crop, a fabric filling the frame): all subject.
        image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8), "RGB")
        return _Level((0.5, 0.5, 0.5), (0.0, 0.0, 1.0, 1.0), image, (grey, grey, grey), False)
    neutral = neutral_background(canvas, background, distance)
    span = subject_span(canvas, background, distance)
    left, top, right, bottom = span
    half = min(max(max(bottom - top, right - left) / 2 * 1.06, 0.08), 0.5)
    return _Level(
        ((left + right) / 2, (top + bottom) / 2, half),
        span,
        Image.fromarray(np.clip(neutral, 0, 255).astype(np.uint8), "RGB"),
        (grey, grey, grey),
    )


def _crop_views(level: _Level, boxes: Sequence[Box]) -> npt.NDArray[np.float32]:
    """Each box of the level's picture cut out and reduced to VIEW_SIDE."""
    picture, size = level.neutral, (VIEW_SIDE, VIEW_SIDE)
    reduced = []
    for box in boxes:
        left, top, right, bottom = _pixel_box(box, picture.width)
        if 0 <= left < right <= picture.width and 0 <= top < bottom <= picture.height:
            # Inside the frame: reduced straight from the picture (the same pixels as the
            # crop's, without copying it first).
            reduced.append(picture.resize(size, Image.Resampling.BOX, (left, top, right, bottom)))
        else:
            reduced.append(_cut(picture, box, level.grey).resize(size, Image.Resampling.BOX))
    pixels = np.frombuffer(b"".join(view.tobytes() for view in reduced), dtype=np.uint8)
    views: npt.NDArray[np.float32] = pixels.reshape(len(boxes), VIEW_SIDE, VIEW_SIDE, 3).astype(
        np.float32
    )
    return views


def _pool(channel: Floats, cells: int) -> Floats:
    """Mean over a cells x cells grid of each (n, side, side) channel → (n, cells * cells)."""
    n, side = channel.shape[0], channel.shape[1]
    step = side // cells
    pooled: Floats = channel.reshape(n, cells, step, cells, step).mean(axis=(2, 4))
    return pooled.reshape(n, cells * cells)


def _unit(block: Floats) -> Floats:
    norm = np.linalg.norm(block, axis=1, keepdims=True)
    unit: Floats = block / np.maximum(norm, 1e-6)
    return unit


_PI = np.float32(math.pi)
_TAU = np.float32(2 * math.pi)


def _turned_up(angle: Floats, period: np.float32) -> Floats:
    """``np.mod(angle, period)`` of angles in [-pi, pi] (``arctan2``'s), for a period of pi
    or 2 pi, bit for bit (the same float32 sum for a negative angle; adding or taking 0
    changes no other, and turns -0 into 0 as np.mod does), without np.mod's slow loop."""
    # float32 throughout (a float32 times a boolean array stays float32; numpy's stubs say
    # float64).
    turned = cast(Floats, angle + period * (angle < 0))
    if period < _TAU:  # an angle of pi is 0 turns of pi
        turned -= period * (angle >= period)
    return turned


def _palette(o1: Floats, o2: Floats, lum: Floats, spread: Floats) -> Floats:
    """Chroma-weighted hue histogram (soft-binned) plus dark / mid / light grey bins."""
    n = o1.shape[0]
    flat1, flat2 = o1.reshape(n, -1), o2.reshape(n, -1)
    chroma = np.hypot(flat1, flat2)
    relative = chroma / spread[:, None]
    # Each pixel's weight is shared between the two hue bins either side of its hue.
    position = _turned_up(np.arctan2(flat2, flat1), _TAU) * (_HUE_BINS / (2 * math.pi))
    floor = np.floor(position)
    # The bins either side, modulo _HUE_BINS (of 0 .. _HUE_BINS: subtracting is several
    # times faster than numpy's integer %).
    lower = floor.astype(np.int64)
    lower -= _HUE_BINS * (lower >= _HUE_BINS)
    upper = lower + 1
    upper -= _HUE_BINS * (upper >= _HUE_BINS)
    upper_share = position - floor
    coloured = np.clip(relative - 0.15, 0, None)
    row = np.arange(n)[:, None] * _HUE_BINS
    hues = np.bincount(
        (row + lower).ravel(), (coloured * (1 - upper_share)).ravel(), n * _HUE_BINS
    ) + np.bincount((row + upper).ravel(), (coloured * upper_share).ravel(), n * _HUE_BINS)
    hues = hues.reshape(n, _HUE_BINS)
    greyness = np.clip(1 - relative / 0.3, 0, 1)
    level = lum.reshape(n, -1)
    greys = np.stack(
        [
            (greyness * (level < 85)).sum(axis=1),
            (greyness * ((level >= 85) & (level < 170))).sum(axis=1),
            (greyness * (level >= 170)).sum(axis=1),
        ],
        axis=1,
    )
    histogram = np.concatenate([hues, greys], axis=1)
    shares = histogram / np.maximum(histogram.sum(axis=1, keepdims=True), 1e-6)
    rooted: Floats = np.sqrt(shares).astype(np.float32)
    return rooted


@functools.lru_cache(maxsize=16)
def _edge_bins(n: int, side: int, cells: int) -> npt.NDArray[np.int64]:
    """Each pixel's first histogram bin, (n, side, side): its view's histograms, then its
    cell's on a cells x cells grid (the orientation's bin is added to it). Read-only."""
    step = side // cells
    cell_of = (np.arange(side) // step)[:, None] * cells + (np.arange(side) // step)[None, :]
    bins: npt.NDArray[np.int64] = (
        np.arange(n)[:, None, None] * (cells * cells * _ORIENTATION_BINS)
        + cell_of[None] * _ORIENTATION_BINS
    )
    bins.setflags(write=False)
    return bins


def _edges(lum: Floats) -> tuple[Floats, Floats]:
    """Magnitude-weighted orientation histograms (8 bins, unsigned), square-rooted, on a
    4 x 4 grid and on an 8 x 8 grid (the coarse one sums the fine one's cells 2 x 2: one
    pass over the gradients for both)."""
    gy = np.zeros_like(lum)
    gx = np.zeros_like(lum)
    gy[:, 1:-1] = lum[:, 2:] - lum[:, :-2]
    gx[:, :, 1:-1] = lum[:, :, 2:] - lum[:, :, :-2]
    magnitude = np.maximum(np.hypot(gx, gy) - _EDGE_NOISE, 0.0)
    angle = _turned_up(np.arctan2(gy, gx), _PI)
    index = np.minimum((angle / math.pi * _ORIENTATION_BINS).astype(np.int64), 7)
    n, side = lum.shape[0], lum.shape[1]
    cells = 8
    target = _edge_bins(n, side, cells) + index
    fine = np.bincount(
        target.ravel(), weights=magnitude.ravel(), minlength=n * cells * cells * _ORIENTATION_BINS
    ).reshape(n, cells // 2, 2, cells // 2, 2, _ORIENTATION_BINS)
    coarse = fine.sum(axis=(2, 4))
    return (
        np.sqrt(coarse.reshape(n, -1)).astype(np.float32),
        np.sqrt(fine.reshape(n, -1)).astype(np.float32),
    )


def view_vectors(views: npt.NDArray[np.float32]) -> Floats:
    """(n, 32, 32, 3) RGB views → (n, dim) unit vectors: the four weighted coarse blocks
    (1 - ``FINE_WEIGHT`` of the squared length), then the fine blocks (the rest)."""
    r, g, b = views[..., 0], views[..., 1], views[..., 2]
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    coarse_edges, fine_edges = _edges(lum)
    vector = np.concatenate(
        [
            _coarse_vectors(views, lum, coarse_edges) * math.sqrt(1 - FINE_WEIGHT),
            _fine_vectors(lum, fine_edges) * math.sqrt(FINE_WEIGHT),
        ],
        axis=1,
    )
    return vector.astype(np.float32)


def _fine_vectors(lum: Floats, edges: Floats) -> Floats:
    """Luminance layout on a 16 x 16 grid (minus its mean) and edge-orientation histograms
    on an 8 x 8 grid, equally weighted, unit length."""
    layout = _pool(lum, 16)
    layout = _unit(layout - layout.mean(axis=1, keepdims=True))
    return _unit(np.concatenate([layout, _unit(edges)], axis=1))


def _coarse_vectors(views: npt.NDArray[np.float32], lum: Floats, edges: Floats) -> Floats:
    """(n, 32, 32, 3) RGB views, their luminance and coarse edge histograms → (n,
    COARSE_DIM) unit vectors of the four weighted blocks."""
    r, g, b = views[..., 0], views[..., 1], views[..., 2]
    n = views.shape[0]
    spread = np.maximum(lum.reshape(n, -1).std(axis=1), 12.0).astype(np.float32)
    o1 = (r - g) / math.sqrt(2)
    o2 = (r + g - 2 * b) / math.sqrt(6)
    layout = _pool(lum, 8)
    layout = _unit(layout - layout.mean(axis=1, keepdims=True))
    colour = np.concatenate([_pool(o1, 4), _pool(o2, 4)], axis=1) / spread[:, None]
    colour = _unit(colour) * np.minimum(np.linalg.norm(colour, axis=1, keepdims=True) / 2, 1)
    blocks = {
        "layout": layout,
        "colour": colour,
        "palette": _unit(_palette(o1, o2, lum, spread)),
        "edges": _unit(edges),
    }
    total = math.sqrt(sum(w * w for w in _BLOCK_WEIGHTS.values()))
    vector = np.concatenate([blocks[k] * (w / total) for k, w in _BLOCK_WEIGHTS.items()], axis=1)
    return _unit(vector.astype(np.float32))


def chroma_level(pixels: npt.NDArray[np.float32]) -> float:
    """The 99th percentile of the pixels' chroma (the length of the two opponent channels,
    in RGB levels): about 1-2 for a grey-scale photo (JPEG and sensor noise)."""
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    chroma = np.hypot((r - g) / math.sqrt(2), (r + g - 2 * b) / math.sqrt(6))
    return float(np.percentile(chroma, 99))


def colour_blind(views: Floats) -> Floats:
    """View vectors without their colour and palette blocks, the coarse part scaled back to
    its share of the length: the luminance layout and edge grids alone, coarse and fine."""
    coarse = views[:, :COARSE_DIM].copy()
    coarse[:, _COLOUR_BLOCKS] = 0.0
    coarse = _unit(coarse) * math.sqrt(1 - FINE_WEIGHT)
    blind: Floats = np.concatenate([coarse, views[:, COARSE_DIM:]], axis=1).astype(np.float32)
    return blind


def to_percent(cosine: float) -> float:
    """Cosine → 0-100: FLOOR and below are 0, identical views 100, squared in between."""
    share = min(max((cosine - FLOOR) / (1 - FLOOR), 0.0), 1.0)
    return round(share * share * 100, 1)


def _fills_frame(span: tuple[float, float, float, float]) -> bool:
    """Whether a subject span reaches two opposite edges of the frame (within
    ``_EDGE_REACH``)."""
    left, top, right, bottom = span
    return (left <= _EDGE_REACH and right >= 1 - _EDGE_REACH) or (
        top <= _EDGE_REACH and bottom >= 1 - _EDGE_REACH
    )


def _framed(
    canvas: npt.NDArray[np.float32], extra_zooms: tuple[float, ...]
) -> tuple[_Level, npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """A square picture's outer level, the square around its outer subject, and its framed
    views: the frame, the outer subject, the inner subject and its centres (``extra_zooms``
    after the usual ones)."""
    outer = _level(canvas)
    # The subject's own backdrop, inside the outer one: a studio photo inside a phone
    # shot's frame, a listing picture inside a screenshot, a padded picture.
    side = canvas.shape[0]
    left, top, right, bottom = (round(v * side) for v in outer.span)
    inside = _square(Image.fromarray(canvas[top:bottom, left:right].astype(np.uint8), "RGB"))
    inner = _level(inside)
    cx, cy, half = inner.subject
    zooms = (*_SUBJECT_ZOOMS, *_MORE_SUBJECT_ZOOMS, *extra_zooms)
    framed = np.concatenate(
        [
            _crop_views(outer, [(0.5, 0.5, 0.5), outer.subject]),
            _crop_views(inner, [inner.subject, *((cx, cy, half * z) for z in zooms)]),
        ]
    )
    return outer, inside, framed


class GridComparator:
    """``ff-visual-5`` (see the module docstring)."""

    method = METHOD

    def describe(self, image: Image.Image, *, search_windows: bool) -> Descriptor:
        if max(image.size) > WORK_SIDE:
            image = image.copy()
            image.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)
        canvas = _square(image.convert("RGB"))
        outer, inside, framed = _framed(canvas, () if search_windows else _OFFER_ZOOMS)
        views = [framed]
        if search_windows:
            views.append(
                _crop_views(outer, [*_windows(), *((0.5, 0.5, z / 2) for z in _QUERY_ZOOMS)])
            )
            fill = tuple(int(v) for v in inside[0, 0])
            picture = Image.fromarray(inside.astype(np.uint8), "RGB")
            for angle in _QUERY_TURNS:
                turned = _level(
                    np.asarray(
                        picture.rotate(angle, Image.Resampling.BILINEAR, fillcolor=fill),
                        dtype=np.float32,
                    )
                )
                views.append(_crop_views(turned, [turned.subject]))
            # The frame and the subject's views mirrored: a selfie camera's photo, a
            # reseller's flipped copy photographed again.
            views.append(framed[:, :, ::-1, :])
            # ... and turned a quarter either way (a photo taken sideways, no EXIF).
            views.extend(np.rot90(framed, turns, axes=(1, 2)) for turns in _QUARTER_TURNS)
            cut = None if outer.backdrop else cut_out(canvas)
            if cut is not None:
                # A busy background and no plain backdrop: the subject found in it, on white,
                # framed the same way (as well as the photo as it is).
                views.append(_framed(cut, ())[2])
        vectors = view_vectors(np.concatenate(views))
        if not search_windows:
            return Descriptor(vectors, CORE_VIEWS, tight=len(_OFFER_ZOOMS))
        fills = _fills_frame(outer.span)
        if chroma_level(canvas) < GREY_CHROMA:
            # A grey-scale photo says nothing of the offer's colours: its views are kept
            # without them, and each offer's are compared so (``similarity``).
            return Descriptor(colour_blind(vectors), CORE_VIEWS, colourless=True, fills_frame=fills)
        return Descriptor(vectors, CORE_VIEWS, fills_frame=fills)

    def similarity(self, query: Descriptor, candidate: Descriptor) -> Similarity:
        # pair_scale: the coarse blocks alone (as duplicate_similarity scores pairs) of the
        # two views whose full cosine is the best.
        # A grey-scale photo's views are colour-blind already (``describe``): the offer's too.
        theirs = candidate.views
        if candidate.tight and not query.fills_frame:
            # The offer's tightest centres are for a photo that shows only a part of the
            # product; against a whole product they only let look-alikes come closer.
            theirs = theirs[: -candidate.tight]
        if query.colourless:
            theirs = colour_blind(theirs)
        cosines = query.views @ theirs.T
        row, column = np.unravel_index(int(cosines.argmax()), cosines.shape)
        coarse = float(query.views[row, :COARSE_DIM] @ theirs[column, :COARSE_DIM])
        return Similarity(
            to_percent(float(cosines[row, column])), to_percent(coarse / (1 - FINE_WEIGHT))
        )

    def duplicate_similarity(self, first: Descriptor, second: Descriptor) -> float:
        # The coarse blocks only: a reseller's watermark, crop and re-encoding move the
        # fine grids most, and the pairing was measured on the coarse ones.
        count, dim = min(first.core, second.core), COARSE_DIM
        aligned = np.einsum("ij,ij->i", first.views[:count, :dim], second.views[:count, :dim])
        return to_percent(float(aligned.max()) / (1 - FINE_WEIGHT))
