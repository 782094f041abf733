"""Outputs always meet the configured geometry and byte budget."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from services.preprocess import encoding
from services.preprocess.decoding import dct_scaled_size
from services.preprocess.encoding import encode_within_budget
from services.preprocess.enhancement import PhotoRole
from services.preprocess.errors import ImageRejected
from services.preprocess.geometry import plan_geometry
from services.preprocess.pipeline import prepare
from services.preprocess.settings import PreprocessSettings
from tests.unit.preprocess.sample_images import decoded, encoded, photo

SETTINGS = PreprocessSettings()


def _plan(size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    plan = plan_geometry(size, long_side_max=1200, short_side_min=800, min_side_floor=64)
    return plan.content, plan.canvas


@pytest.mark.parametrize(
    ("size", "content", "canvas"),
    [
        ((4000, 3000), (1200, 900), (1200, 900)),
        ((3000, 4000), (900, 1200), (900, 1200)),
        ((1000, 900), (1000, 900), (1000, 900)),  # already fits: untouched
        ((1200, 800), (1200, 800), (1200, 800)),
        ((600, 400), (1200, 800), (1200, 800)),  # small: upscaled
        ((100, 100), (800, 800), (800, 800)),
        ((4000, 1000), (1200, 300), (1200, 800)),  # too elongated: padded
        ((1000, 5000), (240, 1200), (800, 1200)),
        ((300, 100), (1200, 400), (1200, 800)),  # small and elongated: upscaled and padded
        ((64, 64), (800, 800), (800, 800)),
    ],
)
def test_plans(size: tuple[int, int], content: tuple[int, int], canvas: tuple[int, int]) -> None:
    assert _plan(size) == (content, canvas)


def test_below_floor_is_refused() -> None:
    with pytest.raises(ImageRejected) as caught:
        _plan((63, 1000))
    assert caught.value.reason == "IMAGE_TOO_SMALL"


@pytest.mark.parametrize("width", range(64, 5000, 97))
@pytest.mark.parametrize("height", [64, 65, 333, 799, 800, 801, 1199, 1200, 1201, 2999, 9000])
def test_every_plan_meets_the_rules(width: int, height: int) -> None:
    content, canvas = _plan((width, height))
    assert max(canvas) <= 1200 and min(canvas) >= 800
    assert content[0] <= canvas[0] and content[1] <= canvas[1]
    # The aspect ratio is kept (to rounding): never stretched.
    assert abs(content[0] / content[1] - width / height) <= 2 / min(content) * width / height + 1e-9


@pytest.mark.parametrize(
    ("size", "expected", "warned"),
    [
        ((2400, 1800), (1200, 900), False),
        ((500, 500), (800, 800), True),
        ((3000, 600), (1200, 800), False),
    ],
)
def test_pipeline_output_geometry(
    size: tuple[int, int], expected: tuple[int, int], warned: bool
) -> None:
    result = prepare(encoded(photo(*size, seed=2), "JPEG", quality=92), PhotoRole.PRODUCT, SETTINGS)
    assert (result.width, result.height) == expected
    assert decoded(result.jpeg).shape[:2] == (expected[1], expected[0])
    assert ("upscaled from a small source" in result.warnings) == warned
    assert result.byte_size == len(result.jpeg) <= SETTINGS.target_bytes


def test_padding_is_white_and_content_centred() -> None:
    source = Image.new("RGB", (3000, 600), (30, 60, 90))
    result = prepare(encoded(source, "PNG"), PhotoRole.SCENE, SETTINGS)
    pixels = decoded(result.jpeg).astype(int)
    assert (result.width, result.height) == (1200, 800)
    assert np.abs(pixels[:90] - 255).max() <= 2  # the 100 px white band above the content
    assert np.abs(pixels[-90:] - 255).max() <= 2
    assert np.abs(pixels[400] - [30, 60, 90]).max() <= 6
    assert "pad_to_min_side:1200x240->1200x800" in result.steps


def test_custom_geometry_and_budget_are_met() -> None:
    custom = dataclasses.replace(
        SETTINGS,
        long_side_max=1000,
        short_side_min=600,
        target_bytes=120_000,
        max_output_bytes=150_000,
        jpeg_min_quality=30,
    )
    result = prepare(encoded(photo(3000, 2000, seed=4), "JPEG"), PhotoRole.PRODUCT, custom)
    assert (result.width, result.height) == (1000, 667)
    assert result.byte_size <= 120_000
    assert result.jpeg_quality < SETTINGS.jpeg_quality


def _noise(size: tuple[int, int]) -> Image.Image:
    rng = np.random.default_rng(9)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def test_quality_is_lowered_to_meet_the_target() -> None:
    steps: list[str] = []
    warnings: list[str] = []
    encoded_jpeg = encode_within_budget(_noise((1200, 1200)), SETTINGS, steps, warnings)
    assert len(encoded_jpeg.data) <= SETTINGS.max_output_bytes
    # Pure noise cannot reach the 500 KB target at quality 70: the target is given up, with a warning.
    assert encoded_jpeg.quality == SETTINGS.jpeg_min_quality
    assert warnings == ["the 500000-byte target cannot be met at quality 70 or above"]


def test_hard_limit_is_never_exceeded() -> None:
    tight = dataclasses.replace(SETTINGS, target_bytes=10_000, max_output_bytes=20_000)
    steps: list[str] = []
    warnings: list[str] = []
    encoded_jpeg = encode_within_budget(_noise((1200, 1200)), tight, steps, warnings)
    assert len(encoded_jpeg.data) <= 20_000
    assert "scaled below the configured geometry to meet the byte limit" in warnings
    assert encoded_jpeg.width < 1200
    assert steps[-1] == f"encode_jpeg:q{encoded_jpeg.quality}"


def _whole_encode_qualities(monkeypatch: pytest.MonkeyPatch, image: Image.Image) -> list[int]:
    """The qualities of the whole-image encodes from now on (the size predictor's sample is
    smaller, so it is not counted)."""
    qualities: list[int] = []
    original = encoding.encode_jpeg

    def counting(encoded: Image.Image, quality: int) -> bytes:
        if encoded.size == image.size:
            qualities.append(quality)
        return original(encoded, quality)

    monkeypatch.setattr(encoding, "encode_jpeg", counting)
    return qualities


def test_quality_search_finds_the_highest_fitting_quality_in_few_encodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image = photo(1200, 900, seed=1)
    sizes = {q: len(encoding.encode_jpeg(image, q)) for q in range(70, 91)}
    target = (sizes[86] + sizes[87]) // 2  # q86 fits, q87 does not
    qualities = _whole_encode_qualities(monkeypatch, image)
    budget = dataclasses.replace(SETTINGS, target_bytes=target)
    encoded_jpeg = encode_within_budget(image, budget, [], [])
    assert encoded_jpeg.quality == 86
    assert len(qualities) <= 3, qualities  # a bisection of 70..89 would need 6


@pytest.mark.parametrize("share", [0.3, 0.55, 0.7, 0.8, 0.9, 0.97])
def test_quality_search_agrees_with_trying_every_quality(share: float) -> None:
    image = photo(800, 600, seed=6)
    sizes = {q: len(encoding.encode_jpeg(image, q)) for q in range(70, 91)}
    target = int(sizes[90] * share)
    fitting = [q for q, size in sizes.items() if size <= target]
    budget = dataclasses.replace(SETTINGS, target_bytes=target)
    warnings: list[str] = []
    encoded_jpeg = encode_within_budget(image, budget, [], warnings)
    if fitting:
        # The first quality is predicted from a sample: when a size sits within the prediction's
        # spread of the target, it may be one step below the highest that fits, never over.
        assert max(fitting) - 1 <= encoded_jpeg.quality <= max(fitting)
        assert len(encoded_jpeg.data) <= target
        assert warnings == []
    else:
        assert encoded_jpeg.quality == 70 and warnings


def test_one_encode_when_the_first_fits() -> None:
    steps: list[str] = []
    encoded_jpeg = encode_within_budget(photo(1200, 900, seed=1), SETTINGS, steps, [])
    assert encoded_jpeg.quality == SETTINGS.jpeg_quality
    assert steps == ["encode_jpeg:q90"]


@pytest.mark.parametrize(
    ("stored", "target", "decoded"),
    [
        ((4000, 3000), (1200, 900), (2000, 1500)),  # 1/2 keeps a 1.67x margin
        ((4032, 3024), (900, 1200), (2016, 1512)),
        ((8000, 6000), (1200, 900), (2000, 1500)),  # 1/4
        ((12000, 9000), (1200, 900), (1500, 1125)),  # 1/8, exactly the margin
        ((2400, 1800), (1200, 900), (2400, 1800)),  # 1/2 would leave no margin: full decode
        ((500, 400), (1000, 800), (500, 400)),  # upscaling: full decode
    ],
)
def test_dct_scale_keeps_a_margin_over_the_target(
    stored: tuple[int, int], target: tuple[int, int], decoded: tuple[int, int]
) -> None:
    assert dct_scaled_size(stored, target) == decoded


@pytest.mark.parametrize(
    ("seed", "size", "noise"),
    [(1, (1200, 900), 1.2), (2, (900, 1200), 4.0), (3, (1200, 1200), 8.0), (4, (1000, 667), 0.5)],
)
def test_a_photo_over_the_target_is_encoded_whole_once_at_a_predicted_quality(
    monkeypatch: pytest.MonkeyPatch, seed: int, size: tuple[int, int], noise: float
) -> None:
    image = photo(*size, seed=seed, noise=noise)
    sizes = {q: len(encoding.encode_jpeg(image, q)) for q in range(80, 91)}
    target = (sizes[87] + sizes[88]) // 2  # q87 fits, q88 does not
    whole = _whole_encode_qualities(monkeypatch, image)
    budget = dataclasses.replace(SETTINGS, target_bytes=target)
    encoded_jpeg = encode_within_budget(image, budget, [], [])
    assert encoded_jpeg.quality == 87
    assert whole == [87]  # before: q90, then the search (two or three whole encodes)
