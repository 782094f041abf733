"""Photos for end-to-end tests: the shipped samples, and unique variants of them.

A variant changes one pixel so its SHA-256 (and so every cache key) is new
while the picture stays the same product.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

SAMPLES = Path(__file__).resolve().parents[2] / "services" / "cli" / "sample_photos"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@dataclass(frozen=True)
class Truth:
    """Ground truth of the sample product: its factory's offer and every seller's."""

    source_offer_id: str
    source_company: str
    offer_ids: list[str]


def manifest() -> Truth:
    data = json.loads(sample("manifest.json"))
    return Truth(data["source_offer_id"], data["source_company"], list(data["offer_ids"]))


def variant(name: str, seed: int) -> bytes:
    """``name`` re-encoded as JPEG with one pixel nudged: same product, new bytes."""
    with Image.open(SAMPLES / name) as opened:
        # Upright first: the variant is saved without the original's EXIF orientation.
        image = ImageOps.exif_transpose(opened).convert("RGB")
    rng = random.Random(seed)
    x, y = rng.randrange(image.width), rng.randrange(image.height)
    r, g, b = image.getpixel((x, y))  # type: ignore[misc]
    image.putpixel((x, y), ((r + 1 + seed) % 256, g, b))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
