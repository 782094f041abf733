"""Formats are told apart by their signatures before any decoder sees the bytes."""

from __future__ import annotations

import pytest
from PIL import Image

from services.preprocess.errors import ImageRejected
from services.preprocess.format_sniffing import sniff_format
from tests.unit.preprocess.sample_images import encoded

SMALL = Image.new("RGB", (16, 16), (10, 20, 30))


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("JPEG", "JPEG"),
        ("PNG", "PNG"),
        ("WEBP", "WEBP"),
        ("GIF", "GIF"),
        ("BMP", "BMP"),
        ("TIFF", "TIFF"),
        ("HEIF", "HEIF"),
        ("AVIF", "AVIF"),
    ],
)
def test_supported_formats(fmt: str, name: str) -> None:
    assert sniff_format(encoded(SMALL, fmt)) == name


def test_big_endian_tiff() -> None:
    assert sniff_format(b"MM\x00*" + bytes(60)) == "TIFF"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"8BPS\x00\x01", "IMAGE_FORMAT_UNSUPPORTED"),
        (b"%PDF-1.7", "IMAGE_FORMAT_UNSUPPORTED"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42", "NOT_AN_IMAGE"),  # a video
        (b"\xff\x0a\xfa", "IMAGE_FORMAT_UNSUPPORTED"),  # JPEG XL
        (b"  <svg xmlns='http://www.w3.org/2000/svg'>", "IMAGE_FORMAT_UNSUPPORTED"),
        (b"PK\x03\x04", "NOT_AN_IMAGE"),
        (b"", "NOT_AN_IMAGE"),
    ],
)
def test_refusals(data: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        sniff_format(data)
    assert caught.value.reason == reason


def test_heic_brand_with_avif_compatibility_is_heif() -> None:
    assert sniff_format(b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heicavif") == "HEIF"
