"""How a factory photographs its product: colours, surface and setting by category.

Apparel and toys come in bright and pastel colours with prints; hardware and
fittings are metal greys, brass or black; packaging is kraft brown or white
board; fabric fills the frame with its weave or print. Most factory photos are
on white; some are on a studio backdrop or a table scene, as real 1688
listings are.
"""

from __future__ import annotations

import colorsys
import math
import random

from services.sandbox.catalog.drawing import RGB, PhotoSpec

_METALLIC = ((176, 180, 186), (196, 160, 90), (60, 60, 64), (210, 210, 214), (150, 120, 100))
_KRAFT = ((186, 146, 98), (236, 232, 222), (120, 86, 60), (40, 40, 44))

_PATTERNS_BY_CATEGORY: dict[str, tuple[tuple[str, float], ...]] = {
    "apparel": (
        ("solid", 4),
        ("stripes", 2),
        ("checks", 1),
        ("dots", 1),
        ("mottle", 1),
        ("gradient", 1),
    ),
    "fabric": (("stripes", 3), ("checks", 3), ("dots", 2), ("mottle", 2), ("gradient", 1)),
    "hardware": (("solid", 6), ("gradient", 2)),
    "packaging": (("solid", 4), ("stripes", 1), ("dots", 1), ("gradient", 1)),
    "electronics": (("solid", 5), ("gradient", 2), ("mottle", 1), ("stripes", 1)),
    "commodities": (("solid", 3), ("stripes", 2), ("dots", 2), ("mottle", 1), ("gradient", 1)),
    "fittings": (("solid", 6), ("gradient", 2), ("mottle", 1)),
    "toys": (("solid", 3), ("stripes", 2), ("dots", 2), ("checks", 1), ("mottle", 2)),
}

_SCENE_ODDS = (("white", 0.62), ("studio", 0.22), ("table", 0.16))


def _hsv(hue: float, sat: float, val: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, min(max(sat, 0.0), 1.0), min(max(val, 0.0), 1.0))
    return (round(r * 255), round(g * 255), round(b * 255))


def _bright(rng: random.Random) -> RGB:
    if rng.random() < 0.15:
        grey = rng.choice((30, 45, 235, 245, 128))
        return (grey, grey, grey)
    return _hsv(rng.random(), rng.uniform(0.35, 0.95), rng.uniform(0.45, 0.98))


def _main_colour(rng: random.Random, category: str) -> RGB:
    if category in ("hardware", "fittings"):
        base = rng.choice(_METALLIC)
        return tuple(max(0, min(255, c + rng.randint(-18, 18))) for c in base)  # type: ignore[return-value]
    if category == "packaging" and rng.random() < 0.6:
        base = rng.choice(_KRAFT)
        return tuple(max(0, min(255, c + rng.randint(-12, 12))) for c in base)  # type: ignore[return-value]
    return _bright(rng)


def _accent_colour(rng: random.Random, main: RGB) -> RGB:
    """A contrasting colour: the complementary hue, or dark/light on greys."""
    hue, sat, val = colorsys.rgb_to_hsv(*(c / 255 for c in main))
    if sat < 0.15:
        return _hsv(rng.random(), rng.uniform(0.5, 0.9), rng.uniform(0.4, 0.9))
    return _hsv(hue + rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.9), 1.0 - 0.7 * val + 0.25)


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    names = [name for name, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(names, weights=weights)[0]


def sample_look(rng: random.Random, category: str, shape: str) -> PhotoSpec:
    """A factory's photo of one new product of ``shape`` in ``category``."""
    main = _main_colour(rng, category)
    fills_frame = shape == "swatch"
    return PhotoSpec(
        shape=shape,
        a=rng.random(),
        b=rng.random(),
        main=main,
        accent=_accent_colour(rng, main),
        pattern=_weighted(rng, _PATTERNS_BY_CATEGORY[category]),
        period=rng.uniform(0.05, 0.22),
        angle=rng.uniform(0.0, math.pi),
        cx=0.5 if fills_frame else rng.uniform(0.44, 0.56),
        cy=0.5 if fills_frame else rng.uniform(0.44, 0.56),
        scale=rng.uniform(0.9, 1.05) if fills_frame else rng.uniform(0.62, 0.86),
        tilt=rng.uniform(-0.08, 0.08) if fills_frame else rng.uniform(-0.3, 0.3),
        scene="white" if fills_frame else _weighted(rng, _SCENE_ODDS),
        backdrop=_hsv(rng.random(), rng.uniform(0.05, 0.3), rng.uniform(0.75, 0.95)),
        texture_seed=rng.randrange(1 << 30),
    )
