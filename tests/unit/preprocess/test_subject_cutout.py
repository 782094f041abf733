"""Finding the subject of a photo without a plain backdrop, as values: where it is on a busy
background, and nothing where the backdrop cannot be told from it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from services.preprocess.subject_cutout import border_colours, cut_out, subject_mask

SIDE = 128


def _noise(seed: int) -> npt.NDArray[np.float32]:
    """Colour noise in cells of 2-3 px: a busy background at the eye's working size."""
    cells = np.random.default_rng(seed).integers(0, 256, (SIDE // 2, SIDE // 2, 3))
    noise: npt.NDArray[np.float32] = cells.repeat(2, axis=0).repeat(2, axis=1).astype(np.float32)
    return noise


def _disc(cx: float, cy: float, radius: float) -> npt.NDArray[np.bool_]:
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    inside: npt.NDArray[np.bool_] = (xx - cx * SIDE) ** 2 + (yy - cy * SIDE) ** 2 < (
        radius * SIDE
    ) ** 2
    return inside


def _two_tone(disc: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    """A product of two colours (a red body with a blue band) where ``disc`` is."""
    product = np.zeros((SIDE, SIDE, 3), dtype=np.float32)
    product[...] = (200, 40, 50)
    product[SIDE // 2 - 6 : SIDE // 2 + 6] = (40, 60, 190)
    return np.where(disc[..., None], product, 0).astype(np.float32)


def test_a_product_on_colour_noise_is_found_where_it_is() -> None:
    for seed, (cx, cy, radius) in enumerate([(0.5, 0.5, 0.3), (0.45, 0.55, 0.22)]):
        disc = _disc(cx, cy, radius)
        photo = np.where(disc[..., None], _two_tone(disc), _noise(seed)).astype(np.float32)
        mask = subject_mask(photo)
        assert mask is not None
        overlap = (mask & disc).sum() / (mask | disc).sum()
        assert overlap > 0.85, overlap
        cut = cut_out(photo)
        assert cut is not None
        # The product's pixels kept, the noise turned white.
        assert np.array_equal(cut[mask], photo[mask])
        assert np.all(cut[~mask] == 255.0)


def test_nothing_is_cut_where_the_border_is_not_busy() -> None:
    # A close crop of a striped product: the border shows the product's own few colours.
    stripes = np.zeros((SIDE, SIDE, 3), dtype=np.float32)
    stripes[...] = (200, 40, 50)
    stripes[:, (np.arange(SIDE) // 12) % 2 == 1] = (240, 230, 90)
    assert border_colours(stripes) < 5
    assert cut_out(stripes) is None
    # A product on a plain grey backdrop (the eye frames it by its border colour instead).
    disc = _disc(0.5, 0.5, 0.3)
    plain = np.where(disc[..., None], _two_tone(disc), np.float32(128.0)).astype(np.float32)
    assert cut_out(plain) is None


def test_busy_noise_with_no_subject_gives_no_mask() -> None:
    # The centre shows the border's colours: nothing stands out from the backdrop.
    noise = _noise(5)
    assert border_colours(noise) > 100
    assert subject_mask(noise) is None
    assert cut_out(noise) is None
