"""The comparator's robustness, as values: the same product under a reseller's edit or a
buyer's condition scores above a different product of the same family."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from services.preprocess.crop_direction import MARGIN, crop_direction, frame_of
from services.preprocess.image_comparison import DUPLICATE_SIMILARITY, Described, near_duplicates
from services.preprocess.visual_similarity import (
    COARSE_DIM,
    FINE_WEIGHT,
    GREY_CHROMA,
    Descriptor,
    GridComparator,
    Similarity,
    UnreadableImage,
    chroma_level,
    colour_blind,
    decode_small,
    image_phash,
    to_percent,
)
from services.sandbox.catalog.drawing import PhotoSpec, render_image
from tests.buyer_photos import CONDITIONS, alpha_of, buyer_photo

COMPARATOR = GridComparator()


def _spec(**changes: object) -> PhotoSpec:
    base = {
        "shape": "tshirt",
        "a": 0.4,
        "b": 0.6,
        "main": (200, 40, 50),
        "accent": (240, 230, 90),
        "pattern": "stripes",
        "period": 0.12,
        "angle": 0.3,
        "cx": 0.5,
        "cy": 0.5,
        "scale": 0.75,
        "tilt": 0.1,
        "scene": "white",
        "backdrop": (230, 225, 220),
        "texture_seed": 7,
    }
    base.update(changes)
    return PhotoSpec(**base)  # type: ignore[arg-type]


PRODUCT = render_image(_spec(), 800)
# The same family in another colour and print: what an image search puts beside it.
OTHERS = [
    render_image(_spec(main=(40, 60, 190), accent=(250, 250, 250), pattern="solid"), 800),
    render_image(_spec(main=(30, 140, 60), pattern="dots", texture_seed=9), 800),
    render_image(_spec(shape="hoodie", main=(90, 90, 95), pattern="checks"), 800),
]


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _offer(image: Image.Image, quality: int = 90) -> Descriptor:
    """An offer's image as CompareImages sees it: a 256 px JPEG decoded small."""
    small = image.resize((256, 256), Image.Resampling.LANCZOS)
    return COMPARATOR.describe(decode_small(_jpeg(small, quality), 10**8), search_windows=False)


def _query(data: bytes) -> Descriptor:
    with Image.open(io.BytesIO(data)) as opened:
        upright = ImageOps.exif_transpose(opened)
        if upright.mode in ("RGBA", "LA"):
            flat = Image.new("RGB", upright.size, (255, 255, 255))
            flat.paste(upright, mask=upright.getchannel("A"))
            upright = flat
        return COMPARATOR.describe(
            decode_small(_jpeg(upright.convert("RGB")), 10**9), search_windows=True
        )


def _reseller(image: Image.Image, edit: str) -> Image.Image:
    """One reseller edit of the factory photo."""
    side = image.width
    if edit == "crop":
        return image.crop((side * 0.08, side * 0.05, side * 0.97, side * 0.94)).resize(image.size)
    if edit == "watermark":
        marked = image.copy()
        ImageDraw.Draw(marked).text((side * 0.3, side * 0.4), "HOT SALE", fill=(255, 255, 255))
        ImageDraw.Draw(marked).rectangle((0, side * 0.88, side, side), fill=(200, 20, 20))
        return marked
    if edit == "colour":
        pixels = np.asarray(image, dtype=np.float32) * np.array([1.08, 0.93, 1.05])
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if edit == "padding":
        padded = Image.new("RGB", (side, round(side * 1.3)), (255, 255, 255))
        padded.paste(image, (0, round(side * 0.15)))
        return padded
    if edit == "reencode":
        return Image.open(io.BytesIO(_jpeg(image, quality=45))).convert("RGB")
    raise AssertionError(edit)


def test_an_image_is_fully_similar_to_itself() -> None:
    offer = _offer(PRODUCT)
    assert COMPARATOR.similarity(offer, offer) == Similarity(100.0, 100.0)
    assert COMPARATOR.duplicate_similarity(offer, offer) == 100.0


def test_the_mapping_from_cosine_is_clamped_and_linear() -> None:
    assert to_percent(1.0) == 100.0
    assert to_percent(0.0) == 0.0
    assert to_percent(-1.0) == 0.0
    assert 0 < to_percent(0.8) < 100
    assert to_percent(0.775) == 25.0  # halfway up the cosines: a quarter of the scale


@pytest.mark.parametrize("edit", ["crop", "watermark", "colour", "padding", "reencode"])
def test_a_resellers_edit_is_a_near_duplicate_of_the_factory_photo(edit: str) -> None:
    factory = _offer(PRODUCT)
    copy = _offer(_reseller(PRODUCT, edit), quality=70)
    same = COMPARATOR.duplicate_similarity(factory, copy)
    assert same >= DUPLICATE_SIMILARITY
    for other in OTHERS:
        assert COMPARATOR.duplicate_similarity(factory, _offer(other)) < same


@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_a_buyers_photo_scores_its_product_above_other_products(condition: str) -> None:
    query = _query(buyer_photo(PRODUCT, condition, seed=3))
    own = COMPARATOR.similarity(query, _offer(PRODUCT)).value
    resold = COMPARATOR.similarity(query, _offer(_reseller(PRODUCT, "watermark"), quality=70)).value
    others = [COMPARATOR.similarity(query, _offer(other)).value for other in OTHERS]
    assert own > max(others) + 5, (own, others)
    assert resold > max(others), (resold, others)


def _described(image: Image.Image, quality: int = 90) -> Described:
    small = decode_small(_jpeg(image.resize((256, 256), Image.Resampling.LANCZOS), quality), 10**8)
    return Described(
        COMPARATOR.describe(small, search_windows=False), image_phash(small), frame_of(small)
    )


def test_near_duplicates_pair_the_copies_and_leave_other_products_out() -> None:
    described = [
        ("reseller", _described(_reseller(PRODUCT, "crop"), 70)),
        ("factory", _described(PRODUCT)),
        ("other", _described(OTHERS[0])),
    ]
    pairs = near_duplicates(COMPARATOR, described)
    assert [(p.first, p.second) for p in pairs] == [("reseller", "factory")]
    assert pairs[0].similarity >= DUPLICATE_SIMILARITY
    # The reseller's copy is a crop of the factory's photo: the factory's shows more.
    assert pairs[0].wider == "factory"


@pytest.mark.parametrize("edit", ["crop", "watermark"])
def test_a_tighter_crop_is_told_from_its_original_whichever_comes_first(edit: str) -> None:
    original = frame_of(PRODUCT)
    copy = frame_of(_reseller(PRODUCT, edit).crop((40, 30, 760, 750)).resize(PRODUCT.size))
    assert crop_direction(original, copy) > MARGIN
    assert crop_direction(copy, original) < -MARGIN
    assert abs(crop_direction(original, original)) < MARGIN


def test_decoding_refuses_what_is_not_an_image_and_too_many_pixels() -> None:
    with pytest.raises(UnreadableImage):
        decode_small(b"<html>not an image</html>", 10**8)
    with pytest.raises(UnreadableImage, match="pixels"):
        decode_small(_jpeg(Image.new("RGB", (400, 400))), 100_000)


def test_transparent_images_are_compared_on_white() -> None:
    rgba = PRODUCT.convert("RGBA")
    rgba.putalpha(255)
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    decoded = decode_small(buffer.getvalue(), 10**8)
    assert decoded.mode == "RGB"
    assert max(decoded.size) <= 160


def test_describing_is_deterministic() -> None:
    rng = random.Random(1)
    image = OTHERS[rng.randrange(len(OTHERS))]
    first, second = _offer(image), _offer(image)
    assert np.array_equal(first.views, second.views)


def _turned(image: Image.Image, angle: float) -> bytes:
    """A buyer's photo with the phone held askew (the backdrop fills the corners)."""
    fill = image.getpixel((2, 2))
    return _jpeg(image.rotate(angle, Image.Resampling.BICUBIC, fillcolor=fill))


def _tight_crop(image: Image.Image, keep: float) -> bytes:
    """A close crop keeping ``keep`` of the frame's side around its centre."""
    side = image.width
    margin = side * (1 - keep) / 2
    return _jpeg(image.crop((margin, margin, side - margin, side - margin)).resize((900, 900)))


@pytest.mark.parametrize(
    "photo",
    [_turned(PRODUCT, 22), _turned(PRODUCT, -25), _tight_crop(PRODUCT, 0.3)],
    ids=["turned+22", "turned-25", "crop30"],
)
def test_a_turned_or_tightly_cropped_photo_scores_its_product_as_plainly_the_same(
    photo: bytes,
) -> None:
    # The grids are not rotation-invariant and a close crop shows a third of the product:
    # the buyer's turned views and the offers' tighter centres keep the score high (without
    # them these score 54, 62 and 60 under ff-visual-1), while other products stay low.
    # ff-visual-2's finer grids see a turned or enlarged outline a little less alike:
    # these score 64-66 where ff-visual-1 gave 65-68.
    query = _query(photo)
    own = COMPARATOR.similarity(query, _offer(PRODUCT)).value
    others = [COMPARATOR.similarity(query, _offer(other)).value for other in OTHERS]
    assert own >= 62, own
    assert max(others) < 30, others


@pytest.mark.parametrize("keep", [0.35, 0.36])
def test_a_very_tight_crop_of_a_large_product_matches_an_offers_tightest_centre(
    keep: float,
) -> None:
    # A product filling most of its frame, cropped to about a third of the frame: the
    # buyer sees a third of the product or so. Without the offer's subject centre at 35 %
    # these score 47 and 52 (the 42 % centre is the closest); with it 87 and 89.
    product = render_image(_spec(scale=0.9), 800)
    query = _query(_tight_crop(product, keep))
    own = COMPARATOR.similarity(query, _offer(product)).value
    others = [COMPARATOR.similarity(query, _offer(other)).value for other in OTHERS]
    assert own >= 62, own
    assert max(others) < 30, others


def test_only_a_photo_whose_subject_reaches_two_opposite_edges_fills_its_frame() -> None:
    assert not _query(buyer_photo(PRODUCT, "phone", 0)).fills_frame
    assert not _query(_jpeg(PRODUCT)).fills_frame
    assert _query(buyer_photo(PRODUCT, "close_crop", 0)).fills_frame
    assert _query(_tight_crop(PRODUCT, 0.33)).fills_frame
    # An offer's description never does: the buyer's photo decides.
    assert not _offer(render_image(_spec(scale=0.95), 800)).fills_frame


def _printed_hoodie(product: Image.Image, share: float) -> Image.Image:
    """A dark hoodie filling its frame with ``product``'s picture printed on a white patch
    at its centre, ``share`` of the side: merchandise an image search returns beside it."""
    hoodie = render_image(
        _spec(shape="hoodie", main=(60, 70, 90), accent=(60, 70, 90), pattern="solid", scale=0.95),
        800,
    )
    side = round(800 * share)
    hoodie.paste(product.resize((side, side)).convert("RGB"), ((800 - side) // 2,) * 2)
    return hoodie


@pytest.mark.parametrize("share", [0.33, 0.36])
def test_an_offers_tightest_centre_is_compared_only_with_a_photo_that_fills_its_frame(
    share: float,
) -> None:
    # A phone shot of the whole T-shirt against a hoodie printed with it: the hoodie's
    # subject centre at 35 % shows the print alone, like the photo; compared with every
    # view (ff-visual-4) the hoodie scores 45 and 67, without its tightest centre 17 and 39.
    query = _query(buyer_photo(PRODUCT, "phone", 2))
    printed = _offer(_printed_hoodie(PRODUCT, share))
    assert printed.tight == 1
    assert COMPARATOR.similarity(query, _offer(PRODUCT)).value >= 90
    assert COMPARATOR.similarity(query, printed).value < 42


def _cluttered(image: Image.Image, seed: int) -> bytes:
    """The product cut out of its photo and set on a pile of rectangles of every colour (a
    cluttered shelf), the product where it was."""
    rng = np.random.default_rng(seed)
    side = image.width
    scene = Image.new("RGB", image.size)
    draw = ImageDraw.Draw(scene)
    for _ in range(300):
        x, y = rng.uniform(0, side, 2)
        w, h = rng.uniform(20, 120, 2)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    scene.paste(image, (0, 0), alpha_of(image))
    return _jpeg(scene)


@pytest.mark.parametrize(
    ("photo", "least"),
    [
        (buyer_photo(PRODUCT, "busy", 1), 90),
        (buyer_photo(PRODUCT, "busy", 2), 90),
        (_cluttered(PRODUCT, 3), 50),
    ],
    ids=["busy-1", "busy-2", "cluttered"],
)
def test_a_photo_on_a_busy_background_is_compared_on_its_subject(
    photo: bytes, least: float
) -> None:
    # No plain backdrop to find the product by: its subject is cut out of the busy
    # background (services/preprocess/subject_cutout.py) and described on white too.
    # Without the cut-out these score 41, 42 and 38 (the background's colours and edges
    # in every view); with it 96, 96 and 57, while the look-alikes stay below 25.
    query = _query(photo)
    own = COMPARATOR.similarity(query, _offer(PRODUCT)).value
    others = [COMPARATOR.similarity(query, _offer(other)).value for other in OTHERS]
    assert own >= least, own
    assert max(others) < 30, others


@pytest.mark.parametrize("tilt", [0.1, 0.35])
def test_a_mirrored_photo_scores_its_product_as_plainly_the_same(tilt: float) -> None:
    # A selfie camera's photo, or a reseller's flipped copy photographed again: without the
    # buyer's mirrored views these score 63 and 28 (tilted further); with them 96 and 98.
    product = render_image(_spec(tilt=tilt, cx=0.42), 800)
    query = _query(buyer_photo(ImageOps.mirror(product), "phone", 3))
    own = COMPARATOR.similarity(query, _offer(product)).value
    others = [COMPARATOR.similarity(query, _offer(other)).value for other in OTHERS]
    assert own >= 90, own
    assert max(others) < 30, others


@pytest.mark.parametrize("angle", [90, 270])
def test_a_photo_turned_a_quarter_without_exif_scores_its_product_as_plainly_the_same(
    angle: int,
) -> None:
    # A phone held sideways whose photo lost its EXIF orientation: without the buyer's
    # views turned a quarter either way these score 13 and 17 (below a look-alike's 18 and
    # 14); with them 99 and 98.
    query = _query(_jpeg(PRODUCT.rotate(angle, expand=True)))
    own = COMPARATOR.similarity(query, _offer(PRODUCT)).value
    others = [COMPARATOR.similarity(query, _offer(other)).value for other in OTHERS]
    assert own >= 90, own
    assert max(others) < 30, others


@pytest.mark.parametrize(
    "photo",
    [_jpeg(PRODUCT.convert("L")), buyer_photo(PRODUCT, "grayscale", 1)],
    ids=["grey-copy", "grey-phone-noise"],
)
def test_a_grey_scale_photo_is_compared_without_colours(photo: bytes) -> None:
    # A grey copy of the offer's own photo: compared with the colour blocks it scores 24
    # (grey against red says "another colour"); colour-blind 98. The other products of the
    # same cut come closer without their colours (a blue T-shirt of the same cut 47) but
    # stay far below.
    query = _query(photo)
    assert query.colourless
    own = COMPARATOR.similarity(query, _offer(PRODUCT)).value
    others = [COMPARATOR.similarity(query, _offer(other)).value for other in OTHERS]
    assert own >= 90, own
    assert max(others) <= own - 40, others


def test_only_a_photo_without_chroma_is_compared_colour_blind() -> None:
    assert not _query(buyer_photo(PRODUCT, "phone", 0)).colourless
    assert not _query(buyer_photo(PRODUCT, "dim", 0)).colourless
    # Offers are never compared colour-blind on their side: the buyer's photo decides.
    assert not _offer(PRODUCT.convert("L")).colourless
    grey = np.full((64, 64, 3), 128.0, dtype=np.float32)
    grey[..., 0] += GREY_CHROMA  # a tint just at the threshold's scale
    assert chroma_level(grey) < GREY_CHROMA
    grey[:8, :, 0] += 30
    assert chroma_level(grey) > GREY_CHROMA


# Two drawer slides of one family, as an image search returns them side by side: the same
# metal and dark bar, a thinner bar and a near-level shot against a thicker one tilted a
# little more and shot from further away (sandbox seed 1688 had such a pair 79-91 alike).
_SLIDE = {
    "shape": "drawer_slide",
    "main": (171, 166, 178),
    "accent": (29, 169, 18),
    "pattern": "solid",
    "backdrop": (193, 201, 204),
}
SLIDE = render_image(_spec(**_SLIDE, a=0.3, b=0.49, tilt=-0.02, scale=0.74), 800)
SLIDE_ALIKE = render_image(_spec(**_SLIDE, a=0.76, b=0.44, tilt=-0.1, scale=0.64), 800)


def test_the_fine_grids_tell_a_look_alike_of_the_same_family_apart() -> None:
    # Phone, perspective and close-crop shots of the thinner slide, four each: it leads its
    # look-alike by 7.7 points on average and at least 4.3 (the coarse grids alone: 5.8 and
    # 2.9).
    own, alike = _offer(SLIDE), _offer(SLIDE_ALIKE)
    leads = []
    for condition in ("phone", "perspective", "close_crop"):
        for seed in range(4):
            query = _query(buyer_photo(SLIDE, condition, seed))
            leads.append(
                COMPARATOR.similarity(query, own).value - COMPARATOR.similarity(query, alike).value
            )
    assert sum(leads) / len(leads) >= 7.0, leads
    assert min(leads) >= 4.0, leads


def test_near_duplicates_are_measured_on_the_coarse_blocks_alone() -> None:
    # A copy that differs only in the fine grids pairs as fully as the original: the
    # duplicate score divides the coarse blocks' share back out.
    offer = _offer(SLIDE)
    coarse_only = offer.views.copy()
    coarse_only[:, COARSE_DIM:] = 0.0
    copy = Descriptor(coarse_only, offer.core)
    assert COMPARATOR.duplicate_similarity(offer, copy) == 100.0
    assert COMPARATOR.similarity(offer, copy).value < 100.0


def test_the_pair_scale_similarity_is_the_chosen_views_on_the_coarse_blocks() -> None:
    # A buyer's photo whose fine grids are blanked: the full similarity drops, the pair
    # scale (the coarse blocks of the views the full cosine chose) stays at the pairing's 100.
    offer = _offer(SLIDE)
    coarse_only = offer.views.copy()
    coarse_only[:, COARSE_DIM:] = 0.0
    seen = COMPARATOR.similarity(Descriptor(coarse_only, offer.core), offer)
    assert seen.pair_scale == 100.0
    assert seen.value == to_percent(1 - FINE_WEIGHT)
    # On a real photo: the coarse cosine of the chosen pair of views, not the coarse best;
    # for a photo without chroma (the metal slide on grey) both compared colour-blind (the
    # photo's views are kept so when it is described).
    for product in (PRODUCT, SLIDE):
        offer = _offer(product)
        query = _query(buyer_photo(product, "phone", 0))
        ours, theirs = query.views, offer.views
        if not query.fills_frame:  # a whole product: the offer's tightest centres left out
            theirs = theirs[: len(theirs) - offer.tight]
        if query.colourless:
            assert np.allclose(ours, colour_blind(ours), atol=1e-6)
            theirs = colour_blind(theirs)
        cosines = ours @ theirs.T
        row, column = np.unravel_index(int(cosines.argmax()), cosines.shape)
        coarse = float(ours[row, :COARSE_DIM] @ theirs[column, :COARSE_DIM])
        assert COMPARATOR.similarity(query, offer) == Similarity(
            to_percent(float(cosines.max())), to_percent(coarse / (1 - FINE_WEIGHT))
        )
    assert not _query(buyer_photo(PRODUCT, "phone", 0)).colourless
    assert _query(buyer_photo(SLIDE, "phone", 0)).colourless
