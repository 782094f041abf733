"""What resellers do to the factory photo they copy.

Trading companies and shops on 1688 reuse the source factory's picture with
small edits: a tighter crop, a colour cast, their shop watermark, a promo
banner, and a fresh JPEG encoding. An edit is a value (so the catalog stays a
pure function of the seed) applied at any size.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_SHOP_MARKS = ("HOT SALE", "FACTORY", "NEW", "OEM", "1688", "TOP", "SALE", "VIP", "BEST", "HD")


@dataclass(frozen=True, slots=True)
class ResellerEdit:
    """Fractions of the frame kept, per-channel gains, optional mark and banner."""

    crop: tuple[float, float, float, float]
    gain: tuple[float, float, float]
    watermark: str
    mark_at: tuple[float, float]
    banner: tuple[int, int, int] | None
    quality: int


def sample_edit(rng: random.Random) -> ResellerEdit:
    """A reseller's typical set of edits."""
    zoom = rng.uniform(0.04, 0.12)
    left = rng.uniform(0.0, zoom)
    top = rng.uniform(0.0, zoom)
    return ResellerEdit(
        crop=(left, top, 1.0 - (zoom - left), 1.0 - (zoom - top)),
        gain=tuple(rng.uniform(0.9, 1.1) for _ in range(3)),  # type: ignore[arg-type]
        watermark=rng.choice(_SHOP_MARKS) if rng.random() < 0.7 else "",
        mark_at=(rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.8)),
        banner=(rng.randrange(256), rng.randrange(60), rng.randrange(60))
        if rng.random() < 0.3
        else None,
        quality=rng.randint(55, 85),
    )


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def apply_edit(image: Image.Image, edit: ResellerEdit) -> Image.Image:
    """The reseller's version of ``image`` (same size; JPEG quality applied on encoding)."""
    side_x, side_y = image.size
    left, top, right, bottom = edit.crop
    box = (left * side_x, top * side_y, right * side_x, bottom * side_y)
    edited = image.resize(image.size, Image.Resampling.BILINEAR, box=box)
    tinted = np.asarray(edited, dtype=np.float32) * np.asarray(edit.gain, dtype=np.float32)
    edited = Image.fromarray(np.minimum(tinted, 255).astype(np.uint8), "RGB")
    if edit.banner is not None:
        ImageDraw.Draw(edited).rectangle(
            (0, round(side_y * 0.88), side_x, side_y), fill=edit.banner
        )
    if edit.watermark:
        edited = _watermark(edited, edit)
    return edited


_FONT_LOCK = threading.Lock()


@lru_cache(maxsize=256)
def _mark_mask(text: str, size: int) -> Image.Image:
    """The shop mark as a 60 %-opaque mask, drawn once per text and size.

    Pictures are drawn in worker threads; one FreeType face is not safe to
    share between them, hence the lock.
    """
    with _FONT_LOCK:
        left, top, right, bottom = (round(v) for v in _font(size).getbbox(text))
        mask = Image.new("L", (right - left + 1, bottom - top + 1), 0)
        ImageDraw.Draw(mask).text((-left, -top), text, fill=150, font=_font(size))
    return mask


def _watermark(image: Image.Image, edit: ResellerEdit) -> Image.Image:
    width, height = image.size
    mask = _mark_mask(edit.watermark, max(6, round(width * 0.09)))
    at = (round(edit.mark_at[0] * width), round(edit.mark_at[1] * height))
    image.paste((255, 255, 255), (*at, at[0] + mask.size[0], at[1] + mask.size[1]), mask)
    return image
