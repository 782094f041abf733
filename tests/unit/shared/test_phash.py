"""The pHash's bits: one per low-frequency DCT coefficient, the first the highest."""

from __future__ import annotations

import numpy as np
from PIL import Image

from shared.phash import _dct_matrix, hamming, phash


def _picture(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (8, 8, 3)).astype(np.uint8)
    return Image.fromarray(small, "RGB").resize((96, 64), Image.Resampling.BILINEAR)


def test_the_hash_is_the_coefficients_above_their_median_first_bit_highest() -> None:
    for seed in range(5):
        picture = _picture(seed)
        grey = picture.convert("L").resize((32, 32), Image.Resampling.BOX)
        dct = _dct_matrix(32)
        block = (dct @ np.asarray(grey, dtype=np.float64) @ dct.T)[:8, :8].flatten()
        block[0] = np.median(block[1:])
        expected = sum(1 << (63 - i) for i, above in enumerate(block > block[0]) if above)
        assert phash(picture) == expected
        assert hamming(phash(picture), expected) == 0
