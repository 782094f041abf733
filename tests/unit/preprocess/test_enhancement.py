"""Enhancement is measured: only what a photo lacks is applied, and it is reported."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from services.preprocess.enhancement import PhotoRole, channel_histograms, enhance, exposure_of
from services.preprocess.pipeline import prepare
from services.preprocess.settings import PreprocessSettings
from tests.unit.preprocess.sample_images import decoded, encoded, photo

SETTINGS = PreprocessSettings()


def _squeezed(image: Image.Image, low: int, high: int) -> Image.Image:
    """``image`` with its tones squeezed into [low, high]: a flat, foggy photo."""
    table = [round(low + (high - low) * v / 255) for v in range(256)]
    return image.point(table * 3)


def _contrast(pixels: np.ndarray) -> int:
    image = Image.fromarray(pixels.astype(np.uint8))
    return exposure_of(channel_histograms(image), "RGB").contrast


def test_low_contrast_product_photo_gets_contrast() -> None:
    flat = _squeezed(photo(1200, 900, seed=1), 90, 180)
    result = prepare(encoded(flat, "PNG"), PhotoRole.PRODUCT, SETTINGS)
    contrast_steps = [step for step in result.steps if step.startswith("contrast:")]
    assert len(contrast_steps) == 1
    gain = float(contrast_steps[0].split(":")[1])
    assert 1.05 <= gain <= 1.4
    assert _contrast(decoded(result.jpeg)) > _contrast(np.asarray(flat)) * 1.2


def test_well_exposed_photo_is_untouched() -> None:
    good = photo(1200, 900, seed=1)
    for role in PhotoRole:
        steps: list[str] = []
        out = enhance(good, role, steps)
        assert steps == []
        assert out is good


def test_scene_photo_with_ordinary_contrast_is_left_as_shot() -> None:
    moderate = _squeezed(photo(1200, 900, seed=1), 60, 200)
    steps: list[str] = []
    enhance(moderate, PhotoRole.SCENE, steps)
    assert steps == []


def test_washed_out_photo_gets_contrast_whatever_its_role() -> None:
    foggy = _squeezed(photo(1200, 900, seed=1), 140, 200)
    for role in PhotoRole:
        steps: list[str] = []
        enhance(foggy, role, steps)
        assert any(step.startswith("contrast:") for step in steps), role


def test_underexposed_photo_is_brightened() -> None:
    dark = _squeezed(photo(1200, 900, seed=1), 0, 110)
    steps: list[str] = []
    out = enhance(dark, PhotoRole.SCENE, steps)
    assert steps[0].startswith("brightness:gamma")
    before = exposure_of(channel_histograms(dark), "RGB").mean
    after = exposure_of(channel_histograms(out), "RGB").mean
    assert after > before + 25


def test_flat_swatch_keeps_its_colour() -> None:
    rng = np.random.default_rng(3)
    navy = np.clip(rng.normal((30, 40, 90), 2.0, (900, 900, 3)), 0, 255).astype(np.uint8)
    swatch = Image.fromarray(navy)
    for role in PhotoRole:
        steps: list[str] = []
        out = enhance(swatch, role, steps)
        assert not any(s.startswith(("contrast", "brightness")) for s in steps)
        assert np.abs(np.asarray(out).mean(axis=(0, 1)) - navy.mean(axis=(0, 1))).max() < 1


def test_white_background_stays_white_when_contrast_is_added() -> None:
    product = _squeezed(photo(1200, 900, seed=4), 110, 200)
    canvas = Image.new("RGB", (1200, 1200), (255, 255, 255))
    canvas.paste(product.crop((0, 0, 600, 600)), (300, 300))
    steps: list[str] = []
    out = enhance(canvas, PhotoRole.PRODUCT, steps)
    assert any(step.startswith("contrast:") for step in steps)
    assert out.getpixel((10, 10)) == (255, 255, 255)


def test_soft_detail_photo_is_sharpened_and_crisp_one_is_not() -> None:
    crisp = photo(1200, 900, seed=5, noise=0)
    soft = crisp.filter(ImageFilter.GaussianBlur(3))
    soft_steps: list[str] = []
    crisp_steps: list[str] = []
    enhance(soft, PhotoRole.DETAIL, soft_steps)
    enhance(crisp, PhotoRole.DETAIL, crisp_steps)
    assert soft_steps == ["sharpen:unsharp_mask"]
    assert crisp_steps == []


def test_sharpening_is_only_for_details() -> None:
    soft = photo(1200, 900, seed=5).filter(ImageFilter.GaussianBlur(3))
    steps: list[str] = []
    enhance(soft, PhotoRole.PRODUCT, steps)
    assert "sharpen:unsharp_mask" not in steps
