"""Bad photos are refused with the reason that says what is wrong, never a crash; each refusal
is the rich status the server's ``map_error`` gives it."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from services.preprocess.enhancement import PhotoRole
from services.preprocess.errors import (
    IMAGE_FIELD,
    URL_FIELD,
    ImageRejected,
    Reason,
    reject,
    to_service_error,
)
from services.preprocess.pipeline import prepare
from services.preprocess.settings import PreprocessSettings
from services.preprocess.visual_similarity import UnreadableImage
from shared.errors import Code, FieldViolation
from tests.unit.preprocess.sample_images import encoded, photo, png_header_only, with_jpeg_size

SETTINGS = PreprocessSettings()


def _reason(data: bytes, settings: PreprocessSettings = SETTINGS) -> str:
    with pytest.raises(ImageRejected) as caught:
        prepare(data, PhotoRole.PRODUCT, settings)
    assert caught.value.field == IMAGE_FIELD
    assert caught.value.message
    return caught.value.reason


@pytest.fixture(scope="module")
def small_photo() -> Image.Image:
    return photo(400, 300, seed=11)


def test_thirty_megabytes_is_too_large() -> None:
    assert _reason(b"\xff\xd8\xff" + bytes(30_000_000)) == "IMAGE_TOO_LARGE"


def test_png_declaring_a_billion_pixels_is_a_bomb() -> None:
    assert _reason(png_header_only(40_000, 30_000)) == "IMAGE_TOO_MANY_PIXELS"


def test_jpeg_declaring_huge_size_is_a_bomb(small_photo: Image.Image) -> None:
    jpeg = encoded(small_photo, "JPEG")
    assert _reason(with_jpeg_size(jpeg, 60_000, 60_000)) == "IMAGE_TOO_MANY_PIXELS"


def test_real_pixels_over_a_configured_limit(small_photo: Image.Image) -> None:
    strict = dataclasses.replace(SETTINGS, max_pixels=100_000)
    assert _reason(encoded(small_photo, "PNG"), strict) == "IMAGE_TOO_MANY_PIXELS"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "HEIF", "AVIF", "BMP"])
@pytest.mark.parametrize("keep", [0.3, 0.7, 0.97])
def test_truncated_files(small_photo: Image.Image, fmt: str, keep: float) -> None:
    data = encoded(small_photo, fmt)
    assert _reason(data[: int(len(data) * keep)]) == "IMAGE_TRUNCATED"


def test_truncated_progressive_jpeg(small_photo: Image.Image) -> None:
    data = encoded(small_photo, "JPEG", progressive=True)
    assert _reason(data[: len(data) // 2]) == "IMAGE_TRUNCATED"


def test_random_bytes_are_not_an_image() -> None:
    noise = np.random.default_rng(7).integers(0, 256, 50_000, dtype=np.uint8).tobytes()
    assert _reason(noise) == "NOT_AN_IMAGE"


@pytest.mark.parametrize("data", [b"", b"hello", b"<html><body>not found</body></html>"])
def test_text_is_not_an_image(data: bytes) -> None:
    assert _reason(data) == "NOT_AN_IMAGE"


@pytest.mark.parametrize("fmt", ["JPEG2000", "ICO", "PDF"])
def test_known_but_unsupported_formats(small_photo: Image.Image, fmt: str) -> None:
    assert _reason(encoded(small_photo, fmt)) == "IMAGE_FORMAT_UNSUPPORTED"


def test_svg_is_unsupported() -> None:
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="900"/>'
    assert _reason(svg) == "IMAGE_FORMAT_UNSUPPORTED"


def test_png_with_damaged_header_is_corrupt(small_photo: Image.Image) -> None:
    data = bytearray(encoded(small_photo, "PNG"))
    data[20] ^= 0xFF  # inside IHDR: its CRC no longer matches
    assert _reason(bytes(data)) == "IMAGE_CORRUPT"


def test_png_with_damaged_pixels_is_corrupt(small_photo: Image.Image) -> None:
    data = bytearray(encoded(small_photo, "PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 100 : start + 400] = bytes(300)  # zlib stream broken
    assert _reason(bytes(data)) in {"IMAGE_CORRUPT", "IMAGE_TRUNCATED"}


def test_progressive_jpeg_with_endless_scans_is_refused(small_photo: Image.Image) -> None:
    strict = dataclasses.replace(SETTINGS, max_jpeg_scans=3)
    assert _reason(encoded(small_photo, "JPEG", progressive=True), strict) == "IMAGE_CORRUPT"


@pytest.mark.parametrize("size", [(50, 400), (400, 63), (1, 1)])
def test_below_the_floor_is_too_small(size: tuple[int, int]) -> None:
    assert _reason(encoded(Image.new("RGB", size, (90, 90, 90)), "PNG")) == "IMAGE_TOO_SMALL"


def test_damaged_jpeg_body_is_decoded_with_a_warning(small_photo: Image.Image) -> None:
    data = bytearray(encoded(small_photo, "JPEG", quality=90))
    scan = data.index(b"\xff\xda")
    data[scan + 400 : scan + 420] = b"\x00" * 20  # bad entropy data, file still complete
    try:
        result = prepare(bytes(data), PhotoRole.PRODUCT, SETTINGS)
    except ImageRejected as rejected:
        assert rejected.reason == "IMAGE_CORRUPT"
    else:
        assert "the JPEG data has recoverable errors; decoded what was readable" in result.warnings
        assert (result.width, result.height) == (1067, 800)


def test_rejection_survives_pickling_between_processes() -> None:
    import pickle

    original = ImageRejected("IMAGE_CORRUPT", IMAGE_FIELD, "the PNG data is damaged")
    copy = pickle.loads(pickle.dumps(original))
    assert (copy.reason, copy.field, copy.message) == (
        "IMAGE_CORRUPT",
        IMAGE_FIELD,
        original.message,
    )
    assert copy.for_field("photo.image_url").field == "photo.image_url"


def test_exif_with_garbage_orientation_is_ignored_with_warning(small_photo: Image.Image) -> None:
    exif = Image.Exif()
    exif[0x0112] = 42
    result = prepare(encoded(small_photo, "JPEG", exif=exif), PhotoRole.SCENE, SETTINGS)
    assert "invalid EXIF orientation 42 ignored" in result.warnings
    with Image.open(io.BytesIO(result.jpeg)) as image:
        assert image.size == (1067, 800)


def test_a_refused_photo_is_invalid_argument_naming_its_field() -> None:
    error = to_service_error(reject(Reason.IMAGE_TRUNCATED, "the JPEG ends early"))
    assert error is not None
    assert (error.code, error.reason, error.message) == (
        Code.INVALID_ARGUMENT,
        "IMAGE_TRUNCATED",
        "the JPEG ends early",
    )
    assert tuple(error.field_violations) == (FieldViolation(IMAGE_FIELD, "the JPEG ends early"),)


def test_a_failed_fetch_is_unavailable() -> None:
    rejected = ImageRejected(Reason.IMAGE_FETCH_FAILED.value, URL_FIELD, "host answered 503")
    error = to_service_error(rejected)
    assert error is not None
    assert (error.code, error.reason) == (Code.UNAVAILABLE, "IMAGE_FETCH_FAILED")
    assert [v.field for v in error.field_violations] == [URL_FIELD]


def test_an_unreadable_query_photo_is_not_an_image() -> None:
    error = to_service_error(UnreadableImage("cannot identify image file"))
    assert error is not None
    assert (error.code, error.reason) == (Code.INVALID_ARGUMENT, "NOT_AN_IMAGE")
    assert error.message == "query_jpeg is not an image: cannot identify image file"
    assert [v.field for v in error.field_violations] == ["query_jpeg"]


def test_other_exceptions_are_not_preprocess_errors() -> None:
    assert to_service_error(RuntimeError("a bug")) is None
