"""The upstream's JPEG: baseline, sRGB, no metadata, within the byte budget.

The configured quality is tried first and kept when it fits the target
(most photos: one encode). Otherwise the highest quality that fits is found
by bisection down to the minimum quality; below that the target is given up
with a warning, but the hard limit never is: quality keeps falling, and as a
last resort (tiny configured budgets) the image is scaled down.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from services.preprocess.settings import PreprocessSettings

_LOWEST_QUALITY = 5
_MAX_SHRINKS = 8


@dataclass(frozen=True)
class EncodedJpeg:
    data: bytes
    quality: int
    width: int
    height: int


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    """Baseline JPEG, 4:2:0, with no EXIF, ICC, XMP or comment (nothing from the source leaks)."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, subsampling="4:2:0", progressive=False, comment=b"")
    return buffer.getvalue()


def _best_quality_within(
    image: Image.Image, low: int, high: int, limit: int
) -> tuple[int, bytes] | None:
    """The highest quality in [low, high] whose JPEG is at most ``limit`` bytes, by bisection."""
    best = None
    while low <= high:
        middle = (low + high) // 2
        data = encode_jpeg(image, middle)
        if len(data) <= limit:
            best, low = (middle, data), middle + 1
        else:
            high = middle - 1
    return best


def encode_within_budget(
    image: Image.Image, settings: PreprocessSettings, steps: list[str], warnings: list[str]
) -> EncodedJpeg:
    """``image`` (RGB) as a JPEG that meets the target if it can and the hard limit always."""
    quality = settings.jpeg_quality
    data = encode_jpeg(image, quality)
    if len(data) > settings.target_bytes:
        found = _best_quality_within(
            image, settings.jpeg_min_quality, quality - 1, settings.target_bytes
        )
        if found is None:
            warnings.append(
                f"the {settings.target_bytes}-byte target cannot be met at quality "
                f"{settings.jpeg_min_quality} or above"
            )
            quality, data = settings.jpeg_min_quality, encode_jpeg(image, settings.jpeg_min_quality)
        else:
            quality, data = found
    shrinks = 0
    while len(data) > settings.max_output_bytes:
        found = _best_quality_within(image, _LOWEST_QUALITY, quality - 1, settings.max_output_bytes)
        if found is not None:
            quality, data = found
            break
        if shrinks == _MAX_SHRINKS:
            raise RuntimeError(f"cannot fit {image.size} in {settings.max_output_bytes} bytes")
        shrinks += 1
        image = _shrink_to_fit(image, len(data), settings.max_output_bytes, steps, warnings)
        quality = settings.jpeg_min_quality
        data = encode_jpeg(image, quality)
    steps.append(f"encode_jpeg:q{quality}")
    return EncodedJpeg(data=data, quality=quality, width=image.width, height=image.height)


def _shrink_to_fit(
    image: Image.Image, size: int, limit: int, steps: list[str], warnings: list[str]
) -> Image.Image:
    ratio = (limit / size) ** 0.5 * 0.9
    target = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    steps.append(f"resize:{image.width}x{image.height}->{target[0]}x{target[1]}")
    warnings.append("scaled below the configured geometry to meet the byte limit")
    return image.resize(target, Image.Resampling.LANCZOS)
