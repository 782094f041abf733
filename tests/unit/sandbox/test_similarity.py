"""Acceptance of the image search: a product's own factory photo finds it.

Sampled by default (``FF_SANDBOX_SIMILARITY_SAMPLE`` products, 250); set it to
``all`` to check every product of the default catalog (a few minutes).
"""

from __future__ import annotations

import io
import os
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance

from services.sandbox import catalog_photos
from services.sandbox.catalog_loader import LoadedCatalog
from services.sandbox.search_index import describe, similarity
from services.sandbox.upload_check import Accepted, check_bytes

PHOTO_SIDE = 400


def _sample(loaded: LoadedCatalog) -> list[int]:
    wanted = os.environ.get("FF_SANDBOX_SIMILARITY_SAMPLE", "250")
    products = list(range(len(loaded.catalog.products)))
    if wanted == "all":
        return products
    return random.Random(11).sample(products, min(int(wanted), len(products)))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _upload(data: bytes) -> Accepted:
    accepted = check_bytes(data, 10 * 1024 * 1024, 1, "mixed")
    assert isinstance(accepted, Accepted)
    return accepted


_PHOTOS: dict[int, Image.Image] = {}


def _factory_photo(loaded: LoadedCatalog, product: int) -> Image.Image:
    """The source's photo as served (drawn once per product for all tests here)."""
    if product not in _PHOTOS:
        _PHOTOS[product] = catalog_photos.offer_photo(
            loaded.catalog, loaded.catalog.source_of(product), PHOTO_SIDE
        )
    return _PHOTOS[product]


def _distort(photo: Image.Image, rng: random.Random) -> bytes:
    """Resize, small crop, brightness change, re-encode: a buyer's copy of the photo."""
    side = round(photo.size[0] * rng.uniform(0.75, 0.95))
    image = photo.resize((side, side), Image.Resampling.BILINEAR)
    cut = rng.uniform(0.0, 0.05) * side
    left, top = rng.uniform(0, cut), rng.uniform(0, cut)
    image = image.crop(
        (round(left), round(top), round(side - (cut - left)), round(side - (cut - top)))
    )
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.85, 1.15))
    return _jpeg(image, rng.randint(60, 80))


def _rank_of_source(loaded: LoadedCatalog, product: int, data: bytes) -> tuple[int, float]:
    description = describe(_upload(data).image)
    cosines = loaded.index.cosines(description.raw)
    source = loaded.catalog.index_of[loaded.catalog.source_of(product).offer_id]
    rank = int((cosines > cosines[source]).sum())
    score = float(similarity(cosines[[source]], description.quality)[0])
    return rank, score


def test_own_factory_photo_is_in_the_top_3(loaded: LoadedCatalog) -> None:
    results = [
        _rank_of_source(loaded, p, _jpeg(_factory_photo(loaded, p), 90)) for p in _sample(loaded)
    ]
    top3 = sum(rank < 3 for rank, _ in results) / len(results)
    assert top3 >= 0.98
    assert np.median([score for _, score in results]) >= 95


def test_mildly_distorted_photo_is_in_the_top_3(loaded: LoadedCatalog) -> None:
    rng = random.Random(5)
    results = [
        _rank_of_source(loaded, p, _distort(_factory_photo(loaded, p), rng))
        for p in _sample(loaded)
    ]
    top3 = sum(rank < 3 for rank, _ in results) / len(results)
    assert top3 >= 0.90


def _low_contrast(photo: Image.Image) -> Image.Image:
    return Image.blend(photo, Image.new("RGB", photo.size, (128, 128, 128)), 0.75)


def _off_centre(photo: Image.Image) -> Image.Image:
    side = photo.size[0]
    canvas = Image.new("RGB", (side, side), photo.getpixel((1, 1)))
    canvas.paste(photo.resize((side * 2 // 3, side * 2 // 3)), (side // 3, side // 3))
    return canvas


def _cluttered(photo: Image.Image) -> Image.Image:
    rng = random.Random(photo.size[0])
    image = photo.copy()
    draw = ImageDraw.Draw(image)
    side = image.size[0]
    for _ in range(8):
        x, y, s = rng.uniform(0, side), rng.uniform(0, side), rng.uniform(0.05, 0.15) * side
        draw.rectangle((x, y, x + s, y + 0.7 * s), fill=tuple(rng.randrange(256) for _ in range(3)))
    return image


@pytest.mark.parametrize("spoil", [_low_contrast, _off_centre, _cluttered])
def test_poor_photos_score_lower(loaded: LoadedCatalog, spoil: object) -> None:
    assert callable(spoil)
    clean, poor = [], []
    for product in _sample(loaded)[:40]:
        photo = _factory_photo(loaded, product)
        clean.append(_rank_of_source(loaded, product, _jpeg(photo, 90)))
        poor.append(_rank_of_source(loaded, product, _jpeg(spoil(photo), 90)))
    clean_scores = np.array([score for _, score in clean])
    poor_scores = np.array([score for _, score in poor])
    assert np.median(poor_scores) < np.median(clean_scores) - 5
    assert (poor_scores < clean_scores).mean() >= 0.9
    assert np.mean([rank for rank, _ in poor]) >= np.mean([rank for rank, _ in clean])
