"""Fuzzing: whatever the bytes, the outcome is a rejection with a known reason or a valid JPEG.

Thousands of cases: random bytes, garbage behind every accepted signature, and
real files of every format and mode with bytes flipped, cut, inserted,
deleted, duplicated or spliced. A small geometry keeps each case cheap; the
code paths are the same as with the upstream's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from functools import cache

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from services.preprocess.enhancement import PhotoRole
from services.preprocess.errors import ImageRejected, Reason
from services.preprocess.pipeline import prepare
from services.preprocess.settings import PreprocessSettings
from tests.unit.preprocess.sample_images import encoded, photo, png16

SMALL = dataclasses.replace(
    PreprocessSettings(),
    long_side_max=160,
    short_side_min=96,
    min_side_floor=8,
    target_bytes=12_000,
    max_output_bytes=20_000,
    max_pixels=4_000_000,
)
REASONS = {reason.value for reason in Reason} - {"IMAGE_URL_FORBIDDEN", "IMAGE_FETCH_FAILED"}
SIGNATURES = [
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x00\x10\x00\x00WEBPVP8 ",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
]
FUZZ = settings(
    max_examples=1500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def seed_files() -> tuple[bytes, ...]:
    """Small valid files covering every format, mode and feature the decoders handle."""
    rgb = photo(120, 90, seed=1)
    rgba = rgb.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(rgb.size))
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    frames = [rgb, rgb.rotate(90), rgb.rotate(180)]
    exif = Image.Exif()
    exif[0x0112] = 6
    cmyk = Image.new("CMYK", (100, 80), (0, 255, 255, 0))
    ImageDraw.Draw(cmyk).rectangle((10, 10, 50, 50), fill=(255, 0, 0, 40))
    grey16 = (np.arange(100 * 80, dtype=np.uint16).reshape(80, 100) * 8).astype(np.uint16)
    return (
        encoded(rgb, "JPEG", quality=85),
        encoded(rgb, "JPEG", quality=85, progressive=True, exif=exif),
        encoded(rgb.convert("L"), "JPEG"),
        encoded(cmyk, "JPEG"),
        encoded(rgb, "PNG"),
        encoded(rgba, "PNG"),
        encoded(palette, "PNG", transparency=0),
        png16(grey16),
        encoded(rgb.convert("LA"), "PNG"),
        encoded(palette, "GIF", save_all=True, append_images=[f.convert("P") for f in frames]),
        encoded(rgb, "WEBP", quality=80),
        encoded(rgba, "WEBP", lossless=True),
        encoded(rgb, "WEBP", save_all=True, append_images=frames[1:]),
        encoded(rgb, "BMP"),
        encoded(rgb, "TIFF", compression="tiff_deflate"),
        encoded(cmyk, "TIFF"),
        encoded(rgb.convert("1"), "TIFF", compression="group4"),
        encoded(rgb, "HEIF", quality=50),
        encoded(rgb, "AVIF", quality=50),
        encoded(rgb, "AVIF", save_all=True, append_images=frames[1:]),
    )


def _check(data: bytes) -> None:
    try:
        result = prepare(data, PhotoRole.PRODUCT, SMALL)
    except ImageRejected as rejected:
        assert rejected.reason in REASONS, rejected
        return
    assert max(result.width, result.height) <= SMALL.long_side_max
    assert result.byte_size == len(result.jpeg) <= SMALL.max_output_bytes
    assert result.sha256 == hashlib.sha256(result.jpeg).hexdigest()
    assert 0 <= result.phash < 2**64
    with Image.open(io.BytesIO(result.jpeg)) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        assert image.size == (result.width, result.height)
        image.load()


def test_every_seed_file_is_prepared() -> None:
    for data in seed_files():
        result = prepare(data, PhotoRole.PRODUCT, SMALL)
        assert min(result.width, result.height) >= SMALL.short_side_min


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@FUZZ
@given(st.sampled_from(SIGNATURES), st.binary(max_size=2048))
def test_garbage_behind_a_signature(signature: bytes, tail: bytes) -> None:
    _check(signature + tail)


def _mutated(data: bytes, draw: st.DrawFn) -> bytes:
    buffer = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not buffer:
            break
        at = draw(st.integers(0, len(buffer) - 1))
        kind = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete", "duplicate"]))
        if kind == "flip":
            buffer[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            buffer[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, draw(st.integers(0, 255))]))
        elif kind == "cut":
            del buffer[at:]
        elif kind == "insert":
            buffer[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del buffer[at : at + draw(st.integers(1, 64))]
        else:
            buffer[at:at] = buffer[at : at + draw(st.integers(1, 256))]
    return bytes(buffer)


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    files = seed_files()
    data = _mutated(draw(st.sampled_from(files)), draw)
    if draw(st.booleans()) and len(data) > 16:  # splice with another file's tail
        other = draw(st.sampled_from(files))
        data = (
            data[: draw(st.integers(8, len(data)))] + other[draw(st.integers(0, len(other) - 1)) :]
        )
    return data


@settings(FUZZ, max_examples=6000)
@given(mutated_files())
def test_mutated_real_files(data: bytes) -> None:
    _check(data)
