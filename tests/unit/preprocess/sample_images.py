"""Photos made in code for the preprocess tests and benchmark.

Flat colours compress and resample unrealistically, so the "photos" here
have a natural-image spectrum (amplitude falling as 1/f, softened at the top
octave as camera optics do), objects with edges, and sensor noise.
"""

from __future__ import annotations

import io
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pillow_heif
from PIL import Image, ImageDraw

pillow_heif.register_heif_opener()  # so tests can write HEIC


def _pink_field(
    height: int, width: int, rng: np.random.Generator, slope: float
) -> npt.NDArray[np.float32]:
    """Zero-mean, unit-variance noise whose amplitude spectrum falls as 1/f**slope."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    frequency = np.sqrt(fx * fx + fy * fy)
    frequency[0, 0] = 1.0
    shape = (height, width // 2 + 1)
    spectrum = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / frequency**slope
    spectrum[0, 0] = 0
    field: npt.NDArray[np.float64] = np.fft.irfft2(spectrum, s=(height, width))
    normalised: npt.NDArray[np.float32] = ((field - field.mean()) / (field.std() or 1.0)).astype(
        np.float32
    )
    return normalised


def _soft_field(
    height: int, width: int, rng: np.random.Generator, slope: float
) -> npt.NDArray[np.float32]:
    """A pink field made at half resolution and upsampled: no energy in the top octave."""
    half = _pink_field(max(1, height // 2), max(1, width // 2), rng, slope)
    return np.asarray(Image.fromarray(half, "F").resize((width, height), Image.Resampling.BICUBIC))


def photo(width: int, height: int, seed: int = 0, noise: float = 1.2) -> Image.Image:
    """An RGB "photo": textured background, shaded objects with sharp edges, sensor noise."""
    rng = np.random.default_rng(seed)
    tone = _soft_field(height, width, rng, 1.0)
    hue_a = _soft_field(height, width, rng, 1.3)
    hue_b = _soft_field(height, width, rng, 1.3)
    pixels = np.empty((height, width, 3), np.float32)
    pixels[..., 0] = 150 + 45 * tone + 15 * hue_a
    pixels[..., 1] = 130 + 45 * tone - 7 * hue_a + 7 * hue_b
    pixels[..., 2] = 110 + 45 * tone - 15 * hue_b
    mask = Image.new("L", (width, height), 0)
    colours = Image.new("RGB", (width, height))
    mask_pen, colour_pen = ImageDraw.Draw(mask), ImageDraw.Draw(colours)
    for index in range(25):
        left, top = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = (
            left,
            top,
            left + int(rng.integers(max(1, width // 20), max(2, width // 4))),
            top + int(rng.integers(max(1, height // 20), max(2, height // 4))),
        )
        colour = tuple(int(v) for v in rng.integers(10, 245, 3))
        if index % 2:
            mask_pen.ellipse(box, fill=255)
            colour_pen.ellipse(box, fill=colour)
        else:
            mask_pen.rectangle(box, fill=255)
            colour_pen.rectangle(box, fill=colour)
    inside = np.asarray(mask, np.float32)[..., None] / 255
    shaded = np.asarray(colours, np.float32) * (1 + 0.15 * tone[..., None])
    blended = pixels * (1 - inside) + shaded * inside + rng.normal(0, noise, pixels.shape)
    return Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8))


def encoded(image: Image.Image, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def cut_out(size: int, seed: int = 0) -> Image.Image:
    """An RGBA product cut-out: a textured object on transparent pixels whose colour is black."""
    rgba = photo(size, size, seed).convert("RGBA")
    alpha = Image.new("L", (size, size), 0)
    margin = size // 8
    ImageDraw.Draw(alpha).ellipse((margin, margin, size - margin, size - margin), fill=255)
    # A soft, anti-aliased edge: semi-transparent pixels are where halos come from.
    alpha = alpha.resize((size // 4, size // 4), Image.Resampling.BOX).resize(
        (size, size), Image.Resampling.BILINEAR
    )
    rgba.putalpha(alpha)
    black_under_transparent = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    return Image.composite(rgba, black_under_transparent, alpha.point(lambda a: 255 if a else 0))


def decoded(jpeg: bytes) -> npt.NDArray[np.uint8]:
    """The RGB pixels of a JPEG, as a height x width x 3 array."""
    with Image.open(io.BytesIO(jpeg)) as image:
        return np.asarray(image.convert("RGB"))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def png_chunk_after_pixels(png: bytes, kind: bytes) -> bytes:
    """``png`` with its ``kind`` chunk moved from before the pixels to just before IEND."""
    chunks, offset = [], 8
    while offset < len(png):
        length = int.from_bytes(png[offset : offset + 4], "big")
        chunks.append(png[offset : offset + length + 12])
        offset += length + 12
    moved = [c for c in chunks if c[4:8] == kind]
    assert len(moved) == 1, f"expected one {kind!r} chunk"
    rest = [c for c in chunks if c[4:8] != kind]
    return png[:8] + b"".join(rest[:-1] + moved + rest[-1:])


def png16(pixels: npt.NDArray[np.uint16]) -> bytes:
    """A 16-bit PNG (grey for 2-D arrays, RGB or RGBA for 3 or 4 channels); Pillow cannot write these."""
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    colour_type = {1: 0, 3: 2, 4: 6}[channels]
    header = (
        width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([16, colour_type, 0, 0, 0])
    )
    rows = pixels.astype(">u2").reshape(height, -1).view(np.uint8).reshape(height, -1)
    raw = np.hstack([np.zeros((height, 1), np.uint8), rows]).tobytes()  # filter type 0 per row
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` RGB pixels and holds almost none (a bomb's header)."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + _png_chunk(b"IEND", b"")
    )


def with_jpeg_size(jpeg: bytes, width: int, height: int) -> bytes:
    """``jpeg`` with its frame header (SOF0) rewritten to claim another size."""
    at = jpeg.index(b"\xff\xc0")
    size = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return jpeg[: at + 5] + size + jpeg[at + 9 :]
