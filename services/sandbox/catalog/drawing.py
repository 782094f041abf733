"""Procedural product photos.

A :class:`PhotoSpec` fully describes one factory photo: the product family
outline (``shapes``), its proportions, colours, surface pattern, placement and
the setting (plain white, a studio backdrop with a soft shadow, or a table
scene with clutter). :func:`render` paints it at any size; everything is
defined in fractions of the frame, so a 64 px and an 800 px rendering show the
same picture (which is what lets a buyer's large photo match the catalog's
small feature renderings).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageChops, ImageDraw

from services.sandbox.catalog import shapes

RGB = tuple[int, int, int]
Pixels = npt.NDArray[np.uint8]
Field = npt.NDArray[np.float32]

PATTERNS = ("solid", "stripes", "checks", "dots", "gradient", "mottle")
SCENES = ("white", "studio", "table")

_BACKGROUND = 255
_CLUTTER = (6, 7, 8)


@dataclass(frozen=True, slots=True)
class PhotoSpec:
    """Everything needed to paint one product photo."""

    shape: str
    a: float
    b: float
    main: RGB
    accent: RGB
    pattern: str
    period: float
    angle: float
    cx: float
    cy: float
    scale: float
    tilt: float
    scene: str
    backdrop: RGB
    texture_seed: int


@lru_cache(maxsize=8)
def _grid(side: int) -> tuple[Field, Field]:
    """Pixel-centre coordinates in [0, 1) for a square frame."""
    ramp = ((np.arange(side, dtype=np.float32) + 0.5) / side).astype(np.float32)
    yy, xx = np.meshgrid(ramp, ramp, indexing="ij")
    return yy, xx


def _smooth_noise(seed: int, cells: int, side: int) -> Field:
    """Low-frequency noise in [0, 1], fixed per ``seed`` whatever ``side`` is."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray((rng.random((cells, cells)) * 255).astype(np.uint8), "L")
    big = small.resize((side, side), Image.Resampling.BICUBIC)
    return np.asarray(big, dtype=np.float32) / 255.0


def _labels(spec: PhotoSpec, side: int) -> Image.Image:
    """A map of which role paints each pixel (255 = background)."""
    canvas = Image.new("L", (side, side), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    if spec.scene == "table":
        _draw_clutter(draw, spec.texture_seed, side)
    cos_t, sin_t = math.cos(spec.tilt), math.sin(spec.tilt)
    for role, points in shapes.FAMILIES[spec.shape](spec.a, spec.b):
        placed = [
            (
                (spec.cx + spec.scale * (x * cos_t - y * sin_t)) * side,
                (spec.cy + spec.scale * (x * sin_t + y * cos_t)) * side,
            )
            for x, y in points
        ]
        draw.polygon(placed, fill=_BACKGROUND if role == shapes.HOLE else role)
    return canvas


def _draw_clutter(draw: ImageDraw.ImageDraw, seed: int, side: int) -> None:
    """Objects lying around the edges of a table scene."""
    rng = np.random.default_rng(seed + 1)
    for code in _CLUTTER:
        x = float(rng.choice([rng.uniform(0.0, 0.16), rng.uniform(0.84, 1.0)]))
        y = float(rng.uniform(0.55, 0.95))
        w, h = float(rng.uniform(0.06, 0.14)), float(rng.uniform(0.04, 0.12))
        box = [(x - w) * side, (y - h) * side, (x + w) * side, (y + h) * side]
        if rng.random() < 0.5:
            draw.ellipse(box, fill=code)
        else:
            draw.rectangle(box, fill=code)


def _mask(labels: npt.NDArray[np.uint8], code: int) -> Image.Image:
    """255 where ``labels`` equals ``code``, else 0."""
    return Image.fromarray((labels == code).view(np.uint8) * np.uint8(255), "L")


def _solid(colour: RGB | tuple[float, ...], side: int) -> Image.Image:
    return Image.new("RGB", (side, side), tuple(int(c) for c in colour))


def _pattern_mix(spec: PhotoSpec, side: int) -> Field:
    """Where the main surface shows the accent colour (0 = main, 1 = accent)."""
    yy, xx = _grid(side)
    along = xx * math.cos(spec.angle) + yy * math.sin(spec.angle)
    across = -xx * math.sin(spec.angle) + yy * math.cos(spec.angle)
    if spec.pattern == "stripes":
        return (np.sin(2 * np.pi * along / spec.period) > 0.3).astype(np.float32)
    if spec.pattern == "checks":
        wave = np.sin(2 * np.pi * along / spec.period) * np.sin(2 * np.pi * across / spec.period)
        return (wave > 0).astype(np.float32)
    if spec.pattern == "dots":
        fx = (along / spec.period) % 1.0 - 0.5
        fy = (across / spec.period) % 1.0 - 0.5
        return (fx * fx + fy * fy < 0.07).astype(np.float32)
    if spec.pattern == "gradient":
        return np.clip(along * 1.2 - 0.1, 0.0, 1.0)
    return _smooth_noise(spec.texture_seed, 7, side)


_PATTERN_SIDE = 400


def _surface(spec: PhotoSpec, side: int) -> Image.Image:
    """The main surface: main colour, accent colour or a mix of both.

    The mix is computed at most 400 px wide and scaled up: big photos look
    the same and cost a fraction.
    """
    main = _solid(spec.main, side)
    if spec.pattern == "solid":
        return main
    small = min(side, _PATTERN_SIDE)
    mix = Image.fromarray((_pattern_mix(spec, small) * 255).astype(np.uint8), "L")
    if small != side:
        mix = mix.resize((side, side), Image.Resampling.BILINEAR)
    return Image.composite(_solid(spec.accent, side), main, mix)


_SCENE_SIDE = 128


def _background(spec: PhotoSpec, side: int) -> Image.Image:
    """The setting behind the product (smooth, so drawn small and scaled)."""
    if spec.scene == "white":
        return _solid((250, 250, 250), side)
    small = min(side, _SCENE_SIDE)
    yy, xx = _grid(small)
    back = np.array(spec.backdrop, dtype=np.float32)
    image = back * (1.04 - 0.2 * yy)[..., None]
    if spec.scene == "table":
        noise = _smooth_noise(spec.texture_seed, 5, small)
        grain = 0.85 + 0.15 * np.sin(2 * np.pi * (yy * 22 + 2 * noise))
        wood = np.array((150, 105, 70), dtype=np.float32) * grain[..., None]
        image = np.where((yy > 0.62)[..., None], wood, image)
    shadow_y = spec.cy + spec.scale * 0.48
    dist = ((xx - spec.cx) / (spec.scale * 0.55)) ** 2 + ((yy - shadow_y) / 0.06) ** 2
    image = image * (1.0 - 0.35 * np.exp(-dist))[..., None]
    picture = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")
    return picture if small == side else picture.resize((side, side), Image.Resampling.BILINEAR)


@lru_cache(maxsize=8)
def _lighting(side: int) -> Image.Image:
    """Top-lit shading multiplied into the product."""
    yy, _ = _grid(side)
    tone = (255 * (1.0 - 0.14 * yy)).astype(np.uint8)
    return Image.fromarray(tone, "L").convert("RGB")


@lru_cache(maxsize=8)
def _metal(side: int, angle: float) -> Image.Image:
    yy, _ = _grid(side)
    tone = (120 + 110 * np.abs(np.sin(3.0 * yy + angle))).astype(np.uint8)
    return Image.fromarray(tone, "L").convert("RGB")


def _palette(spec: PhotoSpec) -> bytes:
    """Flat colours of the solid roles, indexed by label."""
    main = np.array(spec.main, dtype=np.float32)
    lut = np.zeros((256, 3), dtype=np.float32)
    lut[shapes.ACCENT] = spec.accent
    lut[shapes.DARK] = main * 0.25 + 20
    lut[shapes.LIGHT] = 0.35 * main + 0.65 * 235
    rng = np.random.default_rng(spec.texture_seed + 2)
    for code in _CLUTTER:
        lut[code] = rng.uniform(60, 200, 3)
    return np.clip(lut, 0, 255).astype(np.uint8).tobytes()


def render_image(spec: PhotoSpec, side: int) -> Image.Image:
    """Paint ``spec`` as a ``side`` x ``side`` RGB image."""
    flat = _labels(spec, side)
    labels = np.asarray(flat)
    flat.putpalette(_palette(spec))
    image = flat.convert("RGB")
    image = Image.composite(_surface(spec, side), image, _mask(labels, shapes.MAIN))
    if (labels == shapes.METAL).any():
        metal_mask = _mask(labels, shapes.METAL)
        tinted = Image.blend(_metal(side, round(spec.angle, 2)), _solid(spec.main, side), 0.3)
        image = Image.composite(tinted, image, metal_mask)
    image = ImageChops.multiply(image, _lighting(side))
    return Image.composite(_background(spec, side), image, _mask(labels, _BACKGROUND))


def render(spec: PhotoSpec, side: int) -> Pixels:
    """:func:`render_image` as an RGB array."""
    return np.asarray(render_image(spec, side))
