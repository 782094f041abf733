"""What decoding a photo will cost in memory, estimated from its header, and the refusal.

Each worker may grow by ``worker_memory_mb`` above its idle size (the worker
pool enforces it with RLIMIT_AS); a photo whose estimate exceeds that is
refused before any pixel is decoded, as IMAGE_TOO_MANY_PIXELS with the figures.

The factors are peak bytes per pixel measured on 20-MP files (peak RSS of a
fresh process running ``prepare`` minus its RSS before; default settings),
rounded up so the estimate stays on the safe side:
- JPEG decoded by libjpeg-turbo at a DCT scale: ~6 bytes per *decoded*
  pixel for RGB, ~13 for CMYK (Pillow's path); a progressive JPEG also holds
  every DCT coefficient of the full-size image (2 bytes per sample, chroma at
  its subsampled size) whatever the output scale;
- plain 8-bit PNG through libvips: ~2.4 bytes per pixel per band;
- everything Pillow decodes at full size: its own pixels (1 byte for P and L,
  2 for LA and 16-bit grey, 4 for the rest), the working-mode and flattened
  copies, the copy handed to libvips (~11 bytes measured for RGB TIFF and
  BMP, 13 for palette PNG and GIF); 16-bit and 32-bit grey are scaled through
  float64 arrays (33 bytes measured); WebP and HEIF/AVIF decoders keep their
  own RGB(A) buffer too (WebP RGBA: 22.5 measured).
"""

from __future__ import annotations

from PIL import Image

from services.preprocess.errors import ImageRejected, Reason, reject

MIB = 1 << 20
_JPEG_PER_DECODED_PIXEL = 16
_COEFFICIENT_BYTES = 2
_PNG_PER_BAND = 3
_PILLOW_COPIES = 14
_DEEP_GREY = 24
_DECODER_BUFFER = 8
# Before a WebP is opened its mode is unknown: assume RGBA, the dearer one.
WEBP_PER_PIXEL = 4 + _PILLOW_COPIES + _DECODER_BUFFER
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "I;16": 2, "I;16B": 2, "I;16L": 2}
_DEEP_MODES = ("I", "F")
_OWN_BUFFER_FORMATS = ("WEBP", "HEIF", "AVIF")


def _coefficient_bytes(image: Image.Image) -> int:
    """Bytes of the full-size DCT coefficients a progressive JPEG decoder keeps."""
    layers: list[tuple[str, int, int, int]] = getattr(image, "layer", None) or []
    if not layers:
        samples_per_pixel = float(len(image.getbands()))
    else:
        h_max = max(layer[1] for layer in layers) or 1
        v_max = max(layer[2] for layer in layers) or 1
        samples_per_pixel = sum(layer[1] * layer[2] / (h_max * v_max) for layer in layers)
    return int(image.width * image.height * samples_per_pixel * _COEFFICIENT_BYTES)


def decode_bytes(
    fmt: str, image: Image.Image, decode_size: tuple[int, int], *, plain_png: bool
) -> int:
    """Estimated peak bytes to prepare ``image`` (opened, not decoded) decoded at ``decode_size``."""
    pixels = image.width * image.height
    if fmt == "JPEG":
        cost = decode_size[0] * decode_size[1] * _JPEG_PER_DECODED_PIXEL
        if image.info.get("progressive"):
            cost += _coefficient_bytes(image)
        return cost
    if plain_png:
        return pixels * len(image.getbands()) * _PNG_PER_BAND
    per_pixel = _MODE_BYTES.get(image.mode, 4) + _PILLOW_COPIES
    if image.mode.startswith(_DEEP_MODES):
        per_pixel += _DEEP_GREY
    if fmt in _OWN_BUFFER_FORMATS:
        per_pixel += _DECODER_BUFFER
    return pixels * per_pixel


def too_costly(needed: int, size: tuple[int, int], budget_mb: int) -> ImageRejected | None:
    """The rejection for a photo that needs more than a worker's budget, else None."""
    if needed <= budget_mb * MIB:
        return None
    return reject(
        Reason.IMAGE_TOO_MANY_PIXELS,
        f"decoding this {size[0]}x{size[1]} photo needs about {needed // MIB} MiB;"
        f" a worker has {budget_mb} MiB",
    )
