from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from services.sandbox.search.upload_check import Accepted, Refusal, check_upload

MAX = 2 * 1024 * 1024


def _encoded(image: Image.Image, fmt: str, **options: object) -> str:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return base64.b64encode(buffer.getvalue()).decode()


def _photo(size: tuple[int, int] = (900, 820), mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, (200, 120, 40, 255)[: len(mode)])


def _refusal(text: str, shape: str = "mixed", min_side: int = 800) -> Refusal:
    outcome = check_upload(text, MAX, min_side, shape)
    assert isinstance(outcome, Refusal)
    return outcome


def test_jpeg_and_png_accepted_and_downsized() -> None:
    for fmt in ("JPEG", "PNG"):
        outcome = check_upload(_encoded(_photo(), fmt), MAX, 800, "mixed")
        assert isinstance(outcome, Accepted)
        assert outcome.original_size == (900, 820)
        assert max(outcome.image.size) <= 320 and outcome.image.mode == "RGB"


def test_opaque_rgba_png_is_fine_but_transparent_pixels_are_not() -> None:
    opaque = _photo(mode="RGBA")
    assert isinstance(check_upload(_encoded(opaque, "PNG"), MAX, 800, "mixed"), Accepted)
    opaque.putpixel((5, 5), (0, 0, 0, 0))
    refusal = _refusal(_encoded(opaque, "PNG"))
    assert (refusal.code, refusal.message, refusal.zero_id) == (
        "IMAGE_INVALID",
        "invalid image",
        False,
    )
    palette = Image.new("P", (900, 820), 0)
    palette.putpalette([250, 250, 250, 200, 30, 30])
    palette.putpixel((1, 1), 1)
    assert _refusal(_encoded(palette, "PNG", transparency=1)).message == "invalid image"
    keyed = _photo()
    assert _refusal(_encoded(keyed, "PNG", transparency=(200, 120, 40))).message == "invalid image"


@pytest.mark.parametrize(
    ("text", "code", "zero_id"),
    [
        ("data:image/jpeg;base64,/9j/4AAQ", "IMAGE_DATA_URI", True),
        ("not base64!!", "IMAGE_NOT_BASE64", False),
        (_encoded(_photo(), "WEBP"), "IMAGE_FORMAT_NOT_SUPPORTED", False),
        (_encoded(_photo(), "GIF"), "IMAGE_FORMAT_NOT_SUPPORTED", False),
        (_encoded(_photo((900, 700)), "JPEG"), "IMAGE_TOO_SMALL", False),
        (base64.b64encode(b"\xff\xd8\xff" + b"0" * 100).decode(), "IMAGE_DECODE_ERROR", False),
    ],
)
def test_refusals_and_their_default_shapes(text: str, code: str, zero_id: bool) -> None:
    refusal = _refusal(text)
    assert (refusal.code, refusal.zero_id) == (code, zero_id)
    assert _refusal(text, "zero_id").zero_id is True
    assert _refusal(text, "no_id").zero_id is False


def test_byte_limit_and_min_side_are_settings() -> None:
    text = _encoded(_photo((400, 400)), "PNG")
    assert isinstance(check_upload(text, MAX, 400, "mixed"), Accepted)
    refusal = check_upload(text, 100, 400, "mixed")
    assert isinstance(refusal, Refusal) and (refusal.code, refusal.zero_id) == (
        "IMAGE_TOO_LARGE",
        True,
    )
