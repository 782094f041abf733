"""Accepting or refusing an uploaded ``imageBase64``, as the upload API does.

Refused: a ``data:`` prefix; text that is not base64; more than
``max_bytes`` decoded; anything but JPEG or PNG (WebP, GIF, BMP ...); images
with transparent pixels ("invalid image", as the seed article reports);
images whose short side is below ``min_side``. A refusal carries the
*shape* the upload answer takes (``refusal_shape``): ``"zero_id"`` answers
``result: "0"``, ``"no_id"`` answers ``success: false`` with no id; the
default ``"mixed"`` uses "0" for a data: prefix or an oversized image and
no id for the rest, so a client must handle both [?].

Accepted images are decoded at reduced size where JPEG allows (DCT scaling)
and EXIF-rotated: the search never needs more than a few hundred pixels.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
_WORKING_SIDE = 320


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    zero_id: bool


@dataclass(frozen=True)
class Accepted:
    image: Image.Image
    original_size: tuple[int, int]
    data: bytes


def _refuse(code: str, message: str, zero_id: bool, shape: str) -> Refusal:
    return Refusal(code, message, zero_id if shape == "mixed" else shape == "zero_id")


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = np.asarray(image.convert("RGBA").getchannel("A"))
        return bool(alpha.min() < 255)
    return False


def check_upload(text: str, max_bytes: int, min_side: int, shape: str) -> Accepted | Refusal:
    if text.startswith("data:"):
        return _refuse("IMAGE_DATA_URI", "imageBase64 must not carry a data: prefix", True, shape)
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return _refuse("IMAGE_NOT_BASE64", "imageBase64 is not valid base64", False, shape)
    return check_bytes(data, max_bytes, min_side, shape)


def check_bytes(data: bytes, max_bytes: int, min_side: int, shape: str) -> Accepted | Refusal:
    """The checks after base64 decoding (also used for fetched ``picUrl`` images)."""
    if len(data) > max_bytes:
        return _refuse("IMAGE_TOO_LARGE", f"image exceeds {max_bytes} bytes", True, shape)
    if not (data.startswith(_JPEG) or data.startswith(_PNG)):
        return _refuse(
            "IMAGE_FORMAT_NOT_SUPPORTED", "only JPG and PNG images are supported", False, shape
        )
    try:
        image = Image.open(io.BytesIO(data))
        size = image.size
        if image.format == "JPEG":
            image.draft("RGB", (_WORKING_SIDE, _WORKING_SIDE))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return _refuse("IMAGE_DECODE_ERROR", "invalid image", False, shape)
    if _has_transparency(image):
        return _refuse("IMAGE_INVALID", "invalid image", False, shape)
    if min(size) < min_side:
        return _refuse("IMAGE_TOO_SMALL", f"image short side must be >= {min_side}px", False, shape)
    upright = ImageOps.exif_transpose(image).convert("RGB")
    if max(upright.size) > _WORKING_SIDE:
        upright.thumbnail((_WORKING_SIDE, _WORKING_SIDE), Image.Resampling.BOX)
    return Accepted(upright, size, data)
