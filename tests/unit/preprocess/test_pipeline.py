"""The photo that comes out, checked pixel by pixel."""

from __future__ import annotations

import io

import numpy as np
import pytest
import pyvips
import simplejpeg
from PIL import Image, ImageChops, ImageCms, ImageDraw

from services.preprocess.enhancement import PhotoRole
from services.preprocess.pipeline import prepare
from services.preprocess.settings import PreprocessSettings
from shared.phash import hamming, phash
from tests.unit.preprocess.sample_images import (
    cut_out,
    decoded,
    encoded,
    photo,
    png16,
    png_chunk_after_pixels,
)

SETTINGS = PreprocessSettings()
WHITE = np.array([255, 255, 255])


def _close(pixel: np.ndarray, expected: tuple[int, int, int], tolerance: int) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(expected)) <= tolerance))


def test_transparent_pixels_become_white() -> None:
    image = Image.new("RGBA", (1000, 1000), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((300, 300, 700, 700), fill=(20, 40, 200, 255))
    result = prepare(encoded(image, "PNG"), PhotoRole.PRODUCT, SETTINGS)
    pixels = decoded(result.jpeg)
    assert _close(pixels[10, 10], (255, 255, 255), 2)
    assert _close(pixels[-10, -10], (255, 255, 255), 2)
    assert _close(pixels[500, 500], (20, 40, 200), 6)
    assert "flatten_alpha" in result.steps


def _soft_disc_alpha(size: int) -> Image.Image:
    alpha = Image.new("L", (size, size), 0)
    ImageDraw.Draw(alpha).ellipse((size // 6, size // 6, size * 5 // 6, size * 5 // 6), fill=255)
    return alpha.resize((size // 16, size // 16), Image.Resampling.BOX).resize(
        (size, size), Image.Resampling.BILINEAR
    )


YELLOW = (250, 230, 120)


def _never_darker_than(pixels: np.ndarray, colour: tuple[int, int, int], slack: int) -> bool:
    """Every blend of ``colour`` with white has each channel >= the colour's: a halo is darker."""
    return bool(np.all(pixels.min(axis=(0, 1)) >= np.array(colour) - slack))


def test_soft_straight_alpha_edges_blend_towards_white() -> None:
    size = 2400  # downscaled to 1200: resampling crosses the soft edge
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))  # black under the transparency
    image.paste((*YELLOW, 255), (0, 0, size, size))
    image.putalpha(_soft_disc_alpha(size))
    result = prepare(encoded(image, "PNG"), PhotoRole.SCENE, SETTINGS)
    assert "flatten_alpha" in result.steps
    assert _never_darker_than(decoded(result.jpeg).astype(int), YELLOW, 8)


def test_premultiplied_edges_do_not_darken_twice() -> None:
    size = 2400
    alpha = _soft_disc_alpha(size)
    # Colours already multiplied by alpha (composited onto black), saved as if straight.
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (size, size), (*YELLOW, 255)), (0, 0), alpha)
    assert 0 < image.getchannel("A").getpixel((size // 2, size // 6)) < 255  # type: ignore[operator]
    result = prepare(encoded(image, "PNG"), PhotoRole.SCENE, SETTINGS)
    assert "flatten_alpha:premultiplied" in result.steps
    assert _never_darker_than(decoded(result.jpeg).astype(int), YELLOW, 8)


def test_textured_cut_out_matches_a_careful_flatten() -> None:
    image = cut_out(1600, seed=3)
    result = prepare(encoded(image, "PNG"), PhotoRole.SCENE, SETTINGS)
    careful = Image.new("RGB", image.size, (255, 255, 255))
    careful.paste(image, (0, 0), image.getchannel("A"))
    reference = np.asarray(careful.resize((1200, 1200), Image.Resampling.LANCZOS)).astype(float)
    out = decoded(result.jpeg).astype(float)
    edge = np.asarray(image.getchannel("A").resize((1200, 1200)))
    ring = (edge > 0) & (edge < 255)
    assert ring.sum() > 1000
    assert np.abs(out[ring] - reference[ring]).mean() < 4
    assert np.asarray(out)[:20, :20].min() >= 253


def _oriented_photo(orientation: int, fmt: str = "JPEG") -> bytes:
    """A photo whose upright view has red top-left, green top-right, blue bottom-left.

    ``fmt`` JPEG, PNG (EXIF before the pixels, as Pillow writes it) or "PNG, EXIF last".
    """
    upright = Image.new("RGB", (900, 600), (128, 128, 128))
    pen = ImageDraw.Draw(upright)
    pen.rectangle((0, 0, 150, 150), fill=(230, 20, 20))
    pen.rectangle((750, 0, 899, 150), fill=(20, 200, 20))
    pen.rectangle((0, 450, 150, 599), fill=(20, 20, 230))
    # How a camera stores the pixels for each tag (the inverse of what the tag asks a reader to do).
    stored_by_tag = {
        1: upright,
        2: upright.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        3: upright.transpose(Image.Transpose.ROTATE_180),
        4: upright.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        5: upright.transpose(Image.Transpose.TRANSPOSE),
        6: upright.transpose(Image.Transpose.ROTATE_90),
        7: upright.transpose(Image.Transpose.TRANSVERSE),
        8: upright.transpose(Image.Transpose.ROTATE_270),
    }
    exif = Image.Exif()
    exif[0x0112] = orientation
    if fmt == "JPEG":
        return encoded(stored_by_tag[orientation], "JPEG", quality=95, exif=exif)
    png = encoded(stored_by_tag[orientation], "PNG", exif=exif)
    return png if fmt == "PNG" else png_chunk_after_pixels(png, b"eXIf")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "PNG, EXIF last"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation: int, fmt: str) -> None:
    result = prepare(_oriented_photo(orientation, fmt), PhotoRole.SCENE, SETTINGS)
    pixels = decoded(result.jpeg)
    height, width = pixels.shape[:2]
    assert (width, height) == (1200, 800)
    assert _close(pixels[20, 20], (230, 20, 20), 20), "red marker not top-left"
    assert _close(pixels[20, width - 20], (20, 200, 20), 20), "green marker not top-right"
    assert _close(pixels[height - 20, 20], (20, 20, 230), 20), "blue marker not bottom-left"
    assert (result.source_width, result.source_height) == (900, 600)
    assert (f"exif_orientation:{orientation}" in result.steps) == (orientation != 1)


def _cmyk_patches() -> Image.Image:
    image = Image.new("CMYK", (800, 800), (0, 255, 255, 0))  # red
    image.paste((255, 0, 0, 0), (0, 0, 400, 400))  # cyan
    image.paste((0, 0, 0, 128), (400, 0, 800, 400))  # half black
    return image


def _patch_colours(jpeg: bytes) -> list[np.ndarray]:
    pixels = decoded(jpeg)
    height, width = pixels.shape[:2]
    return [
        pixels[height // 4, width // 4],
        pixels[height // 4, 3 * width // 4],
        pixels[3 * height // 4, width // 2],
    ]


EXPECTED_PATCHES = [(0, 255, 255), (127, 127, 127), (255, 0, 0)]


def test_adobe_cmyk_jpeg_keeps_its_colours() -> None:
    jpeg = encoded(_cmyk_patches(), "JPEG", quality=95)
    assert b"Adobe" in jpeg  # Photoshop convention: inverted CMYK
    result = prepare(jpeg, PhotoRole.SCENE, SETTINGS)
    for got, expected in zip(_patch_colours(result.jpeg), EXPECTED_PATCHES, strict=True):
        assert _close(got, expected, 10)


def test_cmyk_jpeg_without_adobe_marker_is_not_inverted() -> None:
    # Pillow inverts CMYK on writing; writing the inverse stores plain CMYK, then drop APP14.
    jpeg = encoded(ImageChops.invert(_cmyk_patches()), "JPEG", quality=95)
    start = jpeg.index(b"Adobe") - 4
    length = int.from_bytes(jpeg[start + 2 : start + 4], "big")
    plain = jpeg[:start] + jpeg[start + 2 + length :]
    result = prepare(plain, PhotoRole.SCENE, SETTINGS)
    for got, expected in zip(_patch_colours(result.jpeg), EXPECTED_PATCHES, strict=True):
        assert _close(got, expected, 10)


def test_ycck_jpeg_keeps_its_colours() -> None:
    # TurboJPEG writes CMYK input as YCCK with an Adobe marker; Adobe CMYK is stored inverted.
    inverted = 255 - np.asarray(_cmyk_patches())
    jpeg = simplejpeg.encode_jpeg(inverted, 95, colorspace="CMYK", colorsubsampling="444")
    result = prepare(jpeg, PhotoRole.SCENE, SETTINGS)
    for got, expected in zip(_patch_colours(result.jpeg), EXPECTED_PATCHES, strict=True):
        assert _close(got, expected, 10)


def test_16_bit_grey_png_is_scaled_not_clipped() -> None:
    ramp = np.tile(np.linspace(0, 65535, 1000).astype(np.uint16), (1000, 1))
    result = prepare(png16(ramp), PhotoRole.SCENE, SETTINGS)
    row = decoded(result.jpeg)[500, :, 0].astype(int)
    expected = np.linspace(0, 255, result.width)
    assert np.abs(row[10:-10] - expected[10:-10]).max() <= 6
    assert row[result.width // 2] < 140  # clipping would make it 255


def test_16_bit_rgba_png_keeps_colours_and_transparency() -> None:
    pixels = np.zeros((900, 900, 4), np.uint16)
    pixels[:, :450] = (60000, 30000, 0, 65535)  # opaque orange
    pixels[:, 450:] = (0, 0, 0, 0)  # transparent
    result = prepare(png16(pixels), PhotoRole.SCENE, SETTINGS)
    out = decoded(result.jpeg)
    assert _close(out[450, 200], (233, 117, 0), 6)
    assert _close(out[450, 700], (255, 255, 255), 2)


def test_palette_png_with_transparency() -> None:
    image = Image.new("P", (900, 900), 0)
    image.putpalette([0, 0, 0, 200, 30, 30, 30, 30, 200] + [0] * (253 * 3))
    ImageDraw.Draw(image).rectangle((0, 0, 449, 899), fill=1)
    ImageDraw.Draw(image).rectangle((450, 0, 899, 449), fill=2)
    data = encoded(image, "PNG", transparency=0)  # index 0 (black) is transparent
    result = prepare(data, PhotoRole.SCENE, SETTINGS)
    out = decoded(result.jpeg)
    assert _close(out[400, 200], (200, 30, 30), 6)
    assert _close(out[200, 700], (30, 30, 200), 6)
    assert _close(out[700, 700], (255, 255, 255), 2)


@pytest.mark.parametrize("fmt", ["GIF", "AVIF"])
def test_animations_use_the_first_frame_with_a_warning(fmt: str) -> None:
    frames = [Image.new("RGB", (900, 900), colour) for colour in ((200, 0, 0), (0, 0, 200))]
    data = encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    result = prepare(data, PhotoRole.SCENE, SETTINGS)
    assert _close(decoded(result.jpeg)[450, 450], (200, 0, 0), 8)
    assert "first frame of an animation used" in result.warnings
    assert result.source_format == fmt


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_heic_and_avif_are_decoded(fmt: str) -> None:
    source = photo(480, 360, seed=5)
    result = prepare(encoded(source, fmt, quality=90), PhotoRole.SCENE, SETTINGS)
    assert result.source_format == fmt
    assert hamming(result.phash, phash(source)) <= 6


@pytest.mark.parametrize("fmt", ["WEBP", "BMP", "TIFF", "PNG"])
def test_other_formats_come_out_as_the_same_picture(fmt: str) -> None:
    source = photo(1000, 1000, seed=6)
    result = prepare(encoded(source, fmt), PhotoRole.SCENE, SETTINGS)
    assert result.source_format == fmt
    reference = np.asarray(source.resize((1000, 1000))).astype(float)
    out = decoded(result.jpeg).astype(float)
    assert out.shape == reference.shape
    assert 10 * np.log10(255**2 / ((out - reference) ** 2).mean()) > 30


def test_output_is_a_clean_baseline_jpeg_without_metadata() -> None:
    exif = Image.Exif()
    exif[0x8825] = {2: (31.0, 14.0, 0.0)}  # GPS latitude
    exif[0x010F] = "PhoneMaker"
    data = encoded(photo(1600, 1200, seed=7), "JPEG", exif=exif, comment=b"secret note", quality=90)
    result = prepare(data, PhotoRole.SCENE, SETTINGS)
    jpeg = result.jpeg
    assert jpeg.startswith(b"\xff\xd8\xff\xe0")  # JFIF APP0 first
    for marker in (b"Exif", b"PhoneMaker", b"secret note", b"ICC_PROFILE", b"http://ns.adobe.com"):
        assert marker not in jpeg
    assert b"\xff\xc2" not in jpeg  # no progressive frame
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        assert "progressive" not in image.info
        assert not image.getexif()


def _green_with_profile(profile: str) -> bytes:
    """A flat sRGB green converted by libvips into ``profile`` ("p3" or "cmyk"), profile embedded."""
    black = pyvips.Image.black(900, 900, bands=3)
    green = black.linear([1, 1, 1], [0, 200, 0]).cast("uchar")
    return bytes(green.copy(interpretation="srgb").icc_transform(profile).jpegsave_buffer(Q=95))


def test_display_p3_photo_is_converted_to_srgb() -> None:
    result = prepare(_green_with_profile("p3"), PhotoRole.SCENE, SETTINGS)
    assert _close(decoded(result.jpeg)[450, 450], (0, 200, 0), 8)
    assert "icc_to_srgb" in result.steps
    assert "colour profile converted (sP3C to sRGB)" in result.warnings


def test_cmyk_jpeg_with_profile_is_converted_through_it() -> None:
    data = _green_with_profile("cmyk")
    red, green, blue = pyvips.Image.new_from_buffer(data, "").icc_transform("srgb")(450, 450)
    result = prepare(data, PhotoRole.SCENE, SETTINGS)
    assert _close(decoded(result.jpeg)[450, 450], (int(red), int(green), int(blue)), 8)
    assert "icc_to_srgb" in result.steps


def test_srgb_profile_needs_no_conversion() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(Image.new("RGB", (900, 900), (0, 200, 0)), "JPEG", icc_profile=icc)
    result = prepare(data, PhotoRole.SCENE, SETTINGS)
    assert "icc_to_srgb" not in result.steps
    assert _close(decoded(result.jpeg)[450, 450], (0, 200, 0), 4)


def test_broken_profile_is_ignored_with_a_warning() -> None:
    data = encoded(photo(1000, 800, seed=8), "JPEG", icc_profile=b"not a profile" * 20)
    result = prepare(data, PhotoRole.SCENE, SETTINGS)
    assert "colour profile unreadable: assumed sRGB" in result.warnings
