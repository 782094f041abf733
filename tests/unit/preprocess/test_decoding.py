"""Plain PNGs are decoded by libvips and still WebPs by libwebp, to exactly the pixels Pillow
gives; the others by Pillow."""

from __future__ import annotations

import io

import numpy as np
import pytest
import pyvips
from PIL import Image, ImageFile

from services.preprocess.decoding import decode_pixels, open_photo
from services.preprocess.errors import ImageRejected, Reason
from services.preprocess.settings import PreprocessSettings
from tests.unit.preprocess.sample_images import cut_out, encoded, png16, png_chunk_after_pixels

SETTINGS = PreprocessSettings()


def _interlaced(image: Image.Image) -> bytes:
    """An Adam7 PNG of ``image`` (Pillow cannot write one; libvips can)."""
    array = np.asarray(image)
    bands = 1 if array.ndim == 2 else array.shape[2]
    vips = pyvips.Image.new_from_memory(array.tobytes(), image.width, image.height, bands, "uchar")
    data: bytes = vips.pngsave_buffer(interlace=True)
    return data


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("interlaced", [False, True])
def test_plain_pngs_come_from_libvips_with_pillows_pixels(mode: str, interlaced: bool) -> None:
    image = cut_out(300, seed=3).convert(mode)
    data = _interlaced(image) if interlaced else encoded(image, "PNG")
    source = open_photo(data, SETTINGS)
    assert source.plain_png
    assert source.image.info.get("interlace", 0) == int(interlaced)
    pixels = decode_pixels(source, source.image.size)
    assert np.array_equal(np.asarray(pixels), np.asarray(image))


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6
    return exif


@pytest.mark.parametrize(
    "data",
    [
        encoded(cut_out(64).convert("P"), "PNG"),
        encoded(Image.new("RGB", (64, 64), (9, 9, 9)), "PNG", transparency=(9, 9, 9)),
        png16(np.full((64, 64, 3), 40_000, np.uint16)),
        png_chunk_after_pixels(encoded(cut_out(64), "PNG", exif=_exif()), b"eXIf"),
    ],
    ids=["palette", "colour key", "16-bit", "EXIF after the pixels"],
)
def test_other_pngs_stay_with_pillow(data: bytes) -> None:
    assert not open_photo(data, SETTINGS).plain_png


def test_exif_before_the_pixels_is_read_without_decoding() -> None:
    source = open_photo(encoded(cut_out(64), "PNG", exif=_exif()), SETTINGS)
    assert source.plain_png
    assert source.orientation == 6
    assert isinstance(source.image, ImageFile.ImageFile)
    assert source.image.tile  # Pillow has not decoded the pixels


def _with_alpha(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(image.size))
    return rgba


@pytest.mark.parametrize(
    ("image", "params"),
    [
        (cut_out(300, seed=3).convert("RGB"), {"quality": 80}),
        (cut_out(300, seed=3).convert("RGB"), {"lossless": True}),
        (cut_out(300, seed=3), {"quality": 80}),
        (_with_alpha(cut_out(300, seed=3).convert("RGB")), {"lossless": True}),
        (cut_out(300, seed=3).convert("L"), {"quality": 80}),
    ],
    ids=["lossy RGB", "lossless RGB", "lossy RGBA", "lossless RGBA", "grey"],
)
def test_still_webps_come_from_libwebp_with_pillows_pixels(
    image: Image.Image, params: dict[str, object]
) -> None:
    data = encoded(image, "WEBP", exif=_exif(), **params)
    source = open_photo(data, SETTINGS)
    assert source.still_webp
    assert source.orientation == 6  # read from the header, before any pixel
    assert source.image._im is None  # Pillow has not decoded the pixels
    pixels = decode_pixels(source, source.image.size)
    assert isinstance(pixels, np.ndarray)
    with Image.open(io.BytesIO(data)) as pillows:
        assert np.array_equal(pixels, np.asarray(pillows))


def test_animated_webps_stay_with_pillow() -> None:
    image = cut_out(64, seed=3)
    data = encoded(image, "WEBP", save_all=True, append_images=[image.rotate(90)], lossless=True)
    source = open_photo(data, SETTINGS)
    assert not source.still_webp
    pixels = decode_pixels(source, source.image.size)
    assert isinstance(pixels, Image.Image)
    assert np.array_equal(np.asarray(pixels), np.asarray(image))


def test_a_webp_libwebp_refuses_is_left_to_pillow_and_rejected_with_a_reason() -> None:
    data = bytearray(encoded(cut_out(64, seed=3).convert("RGB"), "WEBP", quality=80))
    data[26:28] = (200).to_bytes(2, "little")  # the VP8 frame's width: too wide for its data
    source = open_photo(bytes(data), SETTINGS)
    assert source.still_webp
    with pytest.raises(ImageRejected) as rejected:
        decode_pixels(source, source.image.size)
    assert rejected.value.reason in (Reason.IMAGE_CORRUPT, Reason.IMAGE_TRUNCATED)
