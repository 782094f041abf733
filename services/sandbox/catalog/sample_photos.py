"""The sample photos ``make run`` and the tests use, made from the catalog.

One apparel product sold by its factory and several resellers, photographed
the ways buyers really send photos: a phone shot stored sideways with EXIF
orientation 6, a transparent PNG cut-out, a dull low-contrast shot, a WebP,
and a detail close-up. ``manifest.json`` records the ground truth (the
product, its source offer and the resellers) so tests can check the ranking.

Regenerate with ``python -m services.sandbox.catalog.sample_photos [OUT_DIR]`` (by default
into ``services/cli/sample_photos``, where the command line ships them); the result depends
only on the catalog seed.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from services.sandbox.catalog.model import Catalog, Product, build_catalog
from services.sandbox.catalog.photos import offer_photo
from services.sandbox.settings import SandboxSettings

EXIF_ORIENTATION = 0x0112


def pick_product(catalog: Catalog) -> Product:
    """The first apparel product on a white backdrop with a factory and three or more resellers."""
    for product in catalog.products:
        if (
            product.top.key == "apparel"
            and product.look.scene == "white"
            and len(product.offer_ids) >= 4
        ):
            return product
    raise LookupError("no suitable apparel product in this catalog")


def _noisy(image: Image.Image, seed: int, sigma: float) -> Image.Image:
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    noise = np.random.default_rng(seed).normal(0, sigma, pixels.shape)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def _jpeg(image: Image.Image, quality: int = 88, exif: Image.Exif | None = None) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif or Image.Exif())
    return buffer.getvalue()


def _cutout(photo: Image.Image) -> bytes:
    rgb = np.asarray(photo.convert("RGB"), dtype=np.int16)
    corner = rgb[:8, :8].reshape(-1, 3).mean(axis=0)
    distance = np.abs(rgb - corner).sum(axis=2)
    alpha = np.clip((distance - 24) * 8, 0, 255).astype(np.uint8)
    rgba = np.dstack([rgb.astype(np.uint8), alpha])
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def make_samples(catalog: Catalog) -> dict[str, bytes]:
    product = pick_product(catalog)
    source = catalog.source_of(product.index)
    photo = offer_photo(catalog, source, 1400)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # viewers turn it 90° clockwise: stored turned the other way
    sideways = _noisy(photo, 1, 6).transpose(Image.Transpose.ROTATE_90)
    dull = Image.fromarray(
        (128 + (np.asarray(photo, dtype=np.float32) - 128) * 0.35).astype(np.uint8)
    )
    side = photo.width
    crop = photo.crop((side // 4, side // 4, side * 3 // 4, side * 3 // 4)).resize((900, 900))
    webp = io.BytesIO()
    photo.resize((1000, 1000)).save(webp, "WEBP", quality=80)
    manifest = {
        "seed": catalog.seed,
        "product": product.index,
        "source_offer_id": str(source.offer_id),
        "source_company": source.seller.name,
        "offer_ids": [str(o) for o in product.offer_ids],
    }
    return {
        "phone_rotated.jpg": _jpeg(sideways, exif=exif),
        "cutout.png": _cutout(photo),
        "low_contrast.jpg": _jpeg(dull),
        "product.webp": webp.getvalue(),
        "detail_closeup.jpg": _jpeg(_noisy(crop, 2, 3)),
        "manifest.json": json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"),
    }


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "services/cli/sample_photos")
    out.mkdir(parents=True, exist_ok=True)
    defaults = SandboxSettings()
    catalog = build_catalog(defaults.seed, defaults.catalog_offers)
    for name, data in make_samples(catalog).items():
        (out / name).write_bytes(data)
        print(f"{out / name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
