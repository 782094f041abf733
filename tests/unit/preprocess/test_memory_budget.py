"""The memory ceiling's first line: sizes read from headers, and decode costs estimated from them."""

from __future__ import annotations

import io
import subprocess
import sys
import zlib

import pytest
from PIL import Image

from services.preprocess.declared_size import Declared, declared
from services.preprocess.decoding import open_photo
from services.preprocess.errors import ImageRejected
from services.preprocess.memory_budget import MIB, decode_bytes
from services.preprocess.settings import PreprocessSettings
from tests.unit.preprocess.sample_images import encoded, photo

SETTINGS = PreprocessSettings()


@pytest.fixture(scope="module")
def small() -> Image.Image:
    return photo(120, 90, seed=7)


def _reason_and_message(data: bytes) -> tuple[str, str]:
    with pytest.raises(ImageRejected) as caught:
        open_photo(data, SETTINGS)
    return caught.value.reason, caught.value.message


def _png_declaring(data: bytes, width: int, height: int) -> bytes:
    header = data[12:16] + width.to_bytes(4, "big") + height.to_bytes(4, "big") + data[24:29]
    return data[:12] + header + zlib.crc32(header).to_bytes(4, "big") + data[33:]


def test_headers_give_the_size_pillow_gives(small: Image.Image) -> None:
    frames = [small, small.rotate(90), small.rotate(180)]
    files = {
        "PNG": encoded(small, "PNG"),
        "GIF": encoded(small, "GIF"),
        "WEBP": encoded(small, "WEBP", quality=80),
    }
    lossless = encoded(small.convert("RGBA"), "WEBP", lossless=True)
    for fmt, data in {**files, "lossless WEBP": lossless}.items():
        with Image.open(io.BytesIO(data)) as opened:
            assert declared(data, fmt.split()[-1]) == Declared(*opened.size), fmt
    animated_gif = encoded(small, "GIF", save_all=True, append_images=frames[1:])
    animated_webp = encoded(small, "WEBP", save_all=True, append_images=frames[1:])
    animated_png = encoded(small, "PNG", save_all=True, append_images=frames[1:])
    assert declared(animated_gif, "GIF") == Declared(120, 90, 3)
    assert declared(animated_webp, "WEBP") == Declared(120, 90, 3)
    assert declared(animated_png, "PNG") == Declared(120, 90, 3)
    assert declared(encoded(small, "JPEG"), "JPEG") is None  # Pillow reads its header unaided


def test_a_gif_frame_past_the_screen_widens_the_canvas(small: Image.Image) -> None:
    data = bytearray(encoded(small, "GIF"))
    descriptor = data.index(b"\x2c", 13 + 3 * 256)  # after the global colour table
    data[descriptor + 1 : descriptor + 5] = (5000).to_bytes(2, "little") + (7000).to_bytes(
        2, "little"
    )
    assert declared(bytes(data), "GIF") == Declared(5120, 7090, 1)


def test_a_huge_webp_is_refused_before_pillow_allocates_its_canvas(small: Image.Image) -> None:
    data = bytearray(encoded(small, "WEBP", lossless=True))
    bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
    data[21:25] = (bits | 12000 | 9000 << 14).to_bytes(4, "little")  # 12001 x 9001: 108 MP
    reason, message = _reason_and_message(bytes(data))
    assert reason == "IMAGE_TOO_MANY_PIXELS" and "12001x9001" in message
    data[21:25] = (bits | 4999 | 4999 << 14).to_bytes(4, "little")  # 25 MP x 26 bytes
    reason, message = _reason_and_message(bytes(data))
    assert reason == "IMAGE_TOO_MANY_PIXELS"
    assert "needs about 619 MiB; a worker has 320 MiB" in message


def test_a_gif_declaring_81_megapixels_is_refused_unread(small: Image.Image) -> None:
    data = bytearray(encoded(small, "GIF"))
    data[6:10] = (9000).to_bytes(2, "little") + (9000).to_bytes(2, "little")
    reason, message = _reason_and_message(bytes(data))
    assert reason == "IMAGE_TOO_MANY_PIXELS" and "9000x9000" in message and "MiB" in message


def _frame(index: int) -> Image.Image:
    frame = Image.new("P", (1000, 1000), 0)
    frame.putpalette([0, 0, 0, 255, 255, 255])
    frame.paste(1, (index * 8, index * 8, index * 8 + 8, index * 8 + 8))
    return frame


def test_frames_times_canvas_is_limited() -> None:
    frames = [_frame(index) for index in range(120)]  # 120 frames: 120 MP in all
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    reason, message = _reason_and_message(data)
    assert reason == "IMAGE_TOO_MANY_PIXELS" and message.startswith("120 frames of 1000x1000")


def test_a_png_that_fits_is_opened_and_one_that_does_not_is_refused(small: Image.Image) -> None:
    data = encoded(small, "PNG")
    assert open_photo(_png_declaring(data, 5000, 5000), SETTINGS).image.size == (5000, 5000)
    reason, message = _reason_and_message(_png_declaring(data, 7000, 7000))
    assert reason == "IMAGE_TOO_MANY_PIXELS" and "7000x7000" in message


def test_a_large_jpeg_costs_what_its_reduced_decode_does() -> None:
    with Image.open(io.BytesIO(encoded(photo(160, 120, seed=3), "JPEG"))) as opened:
        sequential = decode_bytes("JPEG", opened, (1500, 1125), plain_png=False)
        assert sequential == 1500 * 1125 * 16
        opened.info["progressive"] = 1
        # 4:2:0: one full-size and two quarter-size planes of 2-byte coefficients.
        progressive = decode_bytes("JPEG", opened, (1500, 1125), plain_png=False)
        assert progressive == sequential + 160 * 120 * 3


_PEAK_SCRIPT = """
import resource, sys
from services.preprocess.enhancement import PhotoRole
from services.preprocess.pipeline import prepare
from services.preprocess.settings import PreprocessSettings
data = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
prepare(data, PhotoRole.PRODUCT, PreprocessSettings())
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def _peak_bytes(data: bytes) -> int:
    """Peak RSS growth of a fresh process preparing ``data`` (after imports and reading it)."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT], input=data, capture_output=True, check=True
    )
    return int(done.stdout)


def test_the_estimate_is_above_what_decoding_really_takes() -> None:
    base = photo(2400, 2000, seed=11)
    rgba = base.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(base.size))
    files = {
        "PNG": encoded(rgba, "PNG", compress_level=1),
        "GIF": encoded(base.convert("P", palette=Image.Palette.ADAPTIVE), "GIF"),
        "WEBP": encoded(base, "WEBP", quality=80),
        "JPEG": encoded(base, "JPEG", quality=90, progressive=True),
    }
    for fmt, data in files.items():
        source = open_photo(data, SETTINGS)
        # 1200x1000 out of 2400x2000 needs the full-size decode (no DCT scale keeps the margin).
        estimate = decode_bytes(fmt, source.image, base.size, plain_png=source.plain_png)
        peak = _peak_bytes(data)
        assert peak <= estimate, (fmt, peak / MIB, estimate / MIB)
