"""Any photo in, the JPEG the upstream accepts out: ``prepare()``.

Order matters for speed and for correctness:
decode at a reduced DCT scale (JPEG) -> flatten transparency onto white
(before any resampling, so no dark halos) -> resize once with LANCZOS ->
sRGB -> EXIF orientation (on the small image: cheaper) -> perceptual hash of
the content -> measured enhancement -> pad onto white -> encode (once for most photos).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from PIL import Image

from services.preprocess.colour_management import to_srgb
from services.preprocess.decoding import SourcePhoto, decode_pixels, open_photo
from services.preprocess.encoding import encode_within_budget
from services.preprocess.enhancement import PhotoRole, enhance
from services.preprocess.flatten import flatten_array_onto_white, flatten_onto_white, has_alpha
from services.preprocess.geometry import GeometryPlan, pad_onto_white, plan_geometry
from services.preprocess.orientation import apply_orientation, to_stored
from services.preprocess.resampling import resize_lanczos, size_of
from services.preprocess.settings import PreprocessSettings
from shared.phash import phash


@dataclass(frozen=True)
class PreparedPhoto:
    """The upstream-ready JPEG, its fingerprints, and what was found and done."""

    jpeg: bytes
    width: int
    height: int
    byte_size: int
    sha256: str
    phash: int
    jpeg_quality: int
    source_format: str
    source_width: int
    source_height: int
    source_byte_size: int
    steps: tuple[str, ...]
    warnings: tuple[str, ...]


def _size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _upright_content(
    source: SourcePhoto, plan: GeometryPlan, steps: list[str], warnings: list[str]
) -> Image.Image:
    """Decoded, flattened, resized, sRGB, upright RGB pixels of the planned content size."""
    stored_target = to_stored(plan.content, source.orientation)
    pixels = decode_pixels(source, stored_target)
    if size_of(pixels) != source.image.size:
        steps.append(
            f"dct_scaled_decode:{_size_text(source.image.size)}->{_size_text(size_of(pixels))}"
        )
    if isinstance(pixels, Image.Image) and has_alpha(pixels):
        pixels, step = flatten_onto_white(pixels)
        steps.append(step)
    elif not isinstance(pixels, Image.Image) and pixels.ndim == 3 and pixels.shape[2] in (2, 4):
        pixels, step = flatten_array_onto_white(pixels)
        steps.append(step)
    image = resize_lanczos(pixels, stored_target)
    if plan.content != source.upright_size:
        steps.append(f"resize:{_size_text(source.upright_size)}->{_size_text(plan.content)}")
    if plan.upscales(source.upright_size):
        warnings.append("upscaled from a small source")
    image = to_srgb(image, source.image.info.get("icc_profile"), steps, warnings)
    if source.orientation != 1:
        image = apply_orientation(image, source.orientation)
        steps.append(f"exif_orientation:{source.orientation}")
    return image if image.mode == "RGB" else image.convert("RGB")


def prepare(data: bytes, role: PhotoRole, settings: PreprocessSettings) -> PreparedPhoto:
    """Prepare one photo, or raise :class:`ImageRejected` saying why it cannot be."""
    steps: list[str] = []
    source = open_photo(data, settings)
    warnings = source.warnings
    plan = plan_geometry(
        source.upright_size,
        long_side_max=settings.long_side_max,
        short_side_min=settings.short_side_min,
        min_side_floor=settings.min_side_floor,
    )
    image = _upright_content(source, plan, steps, warnings)
    content_hash = phash(image)
    image = enhance(image, role, steps)
    if plan.pads:
        image = pad_onto_white(image, plan.canvas)
        steps.append(f"pad_to_min_side:{_size_text(plan.content)}->{_size_text(plan.canvas)}")
    encoded = encode_within_budget(image, settings, steps, warnings)
    return PreparedPhoto(
        jpeg=encoded.data,
        width=encoded.width,
        height=encoded.height,
        byte_size=len(encoded.data),
        sha256=hashlib.sha256(encoded.data).hexdigest(),
        phash=content_hash,
        jpeg_quality=encoded.quality,
        source_format=source.format,
        source_width=source.upright_size[0],
        source_height=source.upright_size[1],
        source_byte_size=len(data),
        steps=tuple(steps),
        warnings=tuple(warnings),
    )
