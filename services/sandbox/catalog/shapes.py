"""Outlines of the product families the sandbox draws.

Each family is a function of two proportions ``a`` and ``b`` in [0, 1) (so no
two products of one kind are drawn alike) returning polygons in a local unit
box (x right, y down, both in [-0.5, 0.5]). Every polygon carries a *role*
that decides how ``drawing`` paints it; later polygons cover earlier ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Point = tuple[float, float]
Part = tuple[int, list[Point]]

HOLE, MAIN, ACCENT, DARK, METAL, LIGHT = 0, 1, 2, 3, 4, 5


def rect(x0: float, y0: float, x1: float, y1: float) -> list[Point]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 28) -> list[Point]:
    return [
        (cx + rx * math.cos(2 * math.pi * i / n), cy + ry * math.sin(2 * math.pi * i / n))
        for i in range(n)
    ]


def rounded(x0: float, y0: float, x1: float, y1: float, r: float) -> list[Point]:
    """A rectangle with rounded corners of radius ``r``."""
    pts: list[Point] = []
    corners = (
        (x1 - r, y1 - r, 0),
        (x0 + r, y1 - r, 90),
        (x0 + r, y0 + r, 180),
        (x1 - r, y0 + r, 270),
    )
    for cx, cy, start in corners:
        for step in range(7):
            ang = math.radians(start + step * 15)
            pts.append((cx + r * math.cos(ang), cy + r * math.sin(ang)))
    return pts


def band(points: list[Point], width: float) -> list[Point]:
    """A thick polyline as one polygon (for cables, handles, teeth)."""
    left: list[Point] = []
    right: list[Point] = []
    for i, (x, y) in enumerate(points):
        nx, ny = points[min(i + 1, len(points) - 1)]
        px, py = points[max(i - 1, 0)]
        dx, dy = nx - px, ny - py
        norm = math.hypot(dx, dy) or 1.0
        ox, oy = -dy / norm * width / 2, dx / norm * width / 2
        left.append((x + ox, y + oy))
        right.append((x - ox, y - oy))
    return left + right[::-1]


def mirror(points: list[Point]) -> list[Point]:
    """Close a left half outline (top to bottom) with its mirror image."""
    return points + [(-x, y) for x, y in reversed(points)]


def _tshirt(a: float, b: float) -> list[Part]:
    bw, sl = 0.2 + 0.06 * b, 0.12 + 0.1 * a
    half = [
        (-0.09, -0.42),
        (-bw - 0.05, -0.38),
        (-bw - 0.05 - sl, -0.2),
        (-bw - 0.05 - sl + 0.08, -0.1),
        (-bw, -0.2),
        (-bw, 0.45),
    ]
    return [
        (MAIN, mirror(half)),
        (ACCENT, ellipse(0, -0.41, 0.105, 0.07)),
        (HOLE, ellipse(0, -0.43, 0.085, 0.05)),
    ]


def _hoodie(a: float, b: float) -> list[Part]:
    bw = 0.2 + 0.05 * b
    half = [
        (-0.1, -0.36),
        (-bw - 0.06, -0.33),
        (-0.47, 0.25 + 0.1 * a),
        (-0.38, 0.3 + 0.1 * a),
        (-bw - 0.02, -0.05),
        (-bw, 0.45),
    ]
    return [
        (MAIN, ellipse(0, -0.36, 0.15, 0.12)),
        (MAIN, mirror(half)),
        (DARK, ellipse(0, -0.37, 0.09, 0.08)),
        (ACCENT, rect(-0.14, 0.12, 0.14, 0.32)),
        (ACCENT, rect(-bw, 0.38, bw, 0.45)),
        (LIGHT, rect(-0.05, -0.3, -0.035, -0.12)),
        (LIGHT, rect(0.035, -0.3, 0.05, -0.12)),
    ]


def _dress(a: float, b: float) -> list[Part]:
    flare = 0.32 + 0.12 * a
    waist = 0.05 + 0.1 * b
    half = [(-0.08, -0.42), (-0.15, -0.4), (-0.16, waist - 0.05), (-flare, 0.46)]
    return [
        (MAIN, mirror(half)),
        (ACCENT, rect(-0.17, waist - 0.07, 0.17, waist - 0.02)),
        (HOLE, ellipse(0, -0.42, 0.07, 0.05)),
    ]


def _trousers(a: float, b: float) -> list[Part]:
    hem = 0.14 + 0.06 * a
    return [
        (
            MAIN,
            [
                (-0.22, -0.4),
                (0.22, -0.4),
                (0.24 + 0.04 * b, 0.46),
                (0.24 - hem, 0.46),
                (0.0, -0.1),
                (-0.24 + hem, 0.46),
                (-0.24 - 0.04 * b, 0.46),
            ],
        ),
        (ACCENT, rect(-0.22, -0.42, 0.22, -0.35)),
        (DARK, rect(-0.01, -0.35, 0.01, -0.15)),
    ]


def _swatch(a: float, b: float) -> list[Part]:
    fold = 0.12 + 0.12 * a
    return [
        (MAIN, rect(-0.5, -0.5 + 0.04 * b, 0.5, 0.5)),
        (DARK, [(0.5 - fold, 0.5), (0.5, 0.5 - fold), (0.5, 0.5)]),
        (LIGHT, [(0.5 - fold, 0.5), (0.5, 0.5 - fold), (0.5 - fold * 0.9, 0.5 - fold * 0.9)]),
    ]


def _fabric_roll(a: float, b: float) -> list[Part]:
    r = 0.16 + 0.08 * a
    return [
        (MAIN, rect(-0.45, -r, 0.35 + 0.05 * b, r)),
        (ACCENT, ellipse(0.35 + 0.05 * b, 0, 0.08, r)),
        (DARK, ellipse(0.35 + 0.05 * b, 0, 0.03, r * 0.3)),
        (MAIN, ellipse(-0.45, 0, 0.08, r)),
    ]


def _hinge(a: float, b: float) -> list[Part]:
    h = 0.3 + 0.12 * a
    parts: list[Part] = [
        (METAL, rect(-0.42, -h, -0.03, h)),
        (METAL, rect(0.03, -h, 0.42, h)),
        (DARK, rect(-0.045, -h - 0.02, 0.045, h + 0.02)),
    ]
    for y in (-h * 0.6, 0.0, h * 0.6) if b > 0.5 else (-h * 0.5, h * 0.5):
        parts.append((HOLE, ellipse(-0.22, y, 0.04, 0.04)))
        parts.append((HOLE, ellipse(0.22, y, 0.04, 0.04)))
    return parts


def _bolt(a: float, b: float) -> list[Part]:
    length = 0.45 + 0.3 * a
    parts: list[Part] = [
        (
            METAL,
            [(-0.2, -0.46), (0.2, -0.46), (0.26, -0.38), (0.2, -0.3), (-0.2, -0.3), (-0.26, -0.38)],
        ),
        (METAL, rect(-0.08 - 0.03 * b, -0.3, 0.08 + 0.03 * b, -0.3 + length)),
    ]
    y = -0.2
    while y < -0.3 + length - 0.02:
        parts.append((DARK, band([(-0.1 - 0.03 * b, y), (0.1 + 0.03 * b, y + 0.03)], 0.012)))
        y += 0.05
    return parts


def _wrench(a: float, b: float) -> list[Part]:
    w = 0.07 + 0.03 * b
    return [
        (METAL, band([(-0.32, 0.32), (0.32, -0.32)], w * 2)),
        (METAL, ellipse(-0.33, 0.33, 0.13 + 0.03 * a, 0.13 + 0.03 * a)),
        (METAL, ellipse(0.33, -0.33, 0.15, 0.15)),
        (HOLE, rect(0.3, -0.5, 0.4, -0.3)),
        (HOLE, ellipse(-0.33, 0.33, 0.06, 0.06)),
        (DARK, band([(-0.15, 0.15), (0.15, -0.15)], 0.03)),
    ]


def _box(a: float, b: float) -> list[Part]:
    w, h, d = 0.28 + 0.1 * a, 0.2 + 0.12 * b, 0.16
    front = rect(-w, -h + d / 2, w - d, h)
    top = [(-w, -h + d / 2), (-w + d, -h - d / 2), (w, -h - d / 2), (w - d, -h + d / 2)]
    side = [(w - d, -h + d / 2), (w, -h - d / 2), (w, h - d), (w - d, h)]
    return [
        (MAIN, front),
        (LIGHT, top),
        (DARK, side),
        (
            ACCENT,
            [
                (-0.04 - w / 2, -h + d / 2),
                (-0.04 - w / 2 + d, -h - d / 2),
                (0.04 - w / 2 + d, -h - d / 2),
                (0.04 - w / 2, -h + d / 2),
            ],
        ),
    ]


def _paper_bag(a: float, b: float) -> list[Part]:
    w = 0.28 + 0.08 * a
    handle = [(-0.12 + 0.24 * i / 10, -0.2 - 0.2 * math.sin(math.pi * i / 10)) for i in range(11)]
    return [
        (DARK, band(handle, 0.03)),
        (MAIN, [(-w, -0.2), (w, -0.2), (w + 0.04, 0.45), (-w - 0.04, 0.45)]),
        (ACCENT, ellipse(0, 0.1 + 0.05 * b, 0.1, 0.1)),
        (DARK, rect(-w, -0.2, w, -0.17)),
    ]


def _bottle(a: float, b: float) -> list[Part]:
    w = 0.16 + 0.08 * a
    return [
        (MAIN, rounded(-w, -0.15, w, 0.46, 0.06)),
        (MAIN, [(-w, -0.1), (-0.07, -0.28), (0.07, -0.28), (w, -0.1)]),
        (LIGHT, rect(-0.07, -0.36, 0.07, -0.27)),
        (ACCENT, rect(-0.08, -0.46, 0.08, -0.35)),
        (ACCENT, rect(-w, 0.0 + 0.1 * b, w, 0.22 + 0.1 * b)),
    ]


def _cable(a: float, b: float) -> list[Part]:
    curve = [
        (-0.38 + 0.76 * t / 30, 0.3 * math.sin(2 * math.pi * t / 30 * (1 + a)) + 0.05 * b)
        for t in range(31)
    ]
    x0, y0 = curve[0]
    x1, y1 = curve[-1]
    return [
        (MAIN, band(curve, 0.06)),
        (ACCENT, rect(x0 - 0.1, y0 - 0.06, x0 + 0.02, y0 + 0.06)),
        (METAL, rect(x0 - 0.16, y0 - 0.035, x0 - 0.1, y0 + 0.035)),
        (ACCENT, rect(x1 - 0.02, y1 - 0.06, x1 + 0.1, y1 + 0.06)),
        (METAL, rect(x1 + 0.1, y1 - 0.03, x1 + 0.15, y1 + 0.03)),
    ]


def _charger(a: float, b: float) -> list[Part]:
    s = 0.26 + 0.08 * a
    return [
        (METAL, rect(-0.12, -s - 0.18, -0.06, -s + 0.02)),
        (METAL, rect(0.06, -s - 0.18, 0.12, -s + 0.02)),
        (MAIN, rounded(-s, -s, s, s + 0.1 * b, 0.08)),
        (DARK, rect(-0.08, 0.05, 0.08, 0.1)),
        (ACCENT, ellipse(0, -0.1, 0.03, 0.03)),
    ]


def _phone_case(a: float, b: float) -> list[Part]:
    w = 0.22 + 0.04 * a
    return [
        (MAIN, rounded(-w, -0.46, w, 0.46, 0.08)),
        (ACCENT, rounded(-w + 0.03, -0.43, -w + 0.2 + 0.05 * b, -0.23 + 0.04 * b, 0.04)),
        (DARK, ellipse(-w + 0.08, -0.37, 0.035, 0.035)),
        (DARK, ellipse(-w + 0.08, -0.29, 0.035, 0.035)),
        (LIGHT, ellipse(0, 0.1, 0.05, 0.05)),
    ]


def _earbuds(a: float, b: float) -> list[Part]:
    return [
        (MAIN, rounded(-0.3, -0.05, 0.3, 0.38, 0.14)),
        (DARK, rect(-0.3, 0.08, 0.3, 0.095)),
        (ACCENT, ellipse(-0.16, -0.26, 0.1 + 0.03 * a, 0.09)),
        (ACCENT, rect(-0.13, -0.26, -0.08, 0.0 + 0.05 * b)),
        (ACCENT, ellipse(0.16, -0.26, 0.1 + 0.03 * a, 0.09)),
        (ACCENT, rect(0.08, -0.26, 0.13, 0.0 + 0.05 * b)),
        (LIGHT, ellipse(0, 0.2, 0.025, 0.025)),
    ]


def _mug(a: float, b: float) -> list[Part]:
    w = 0.22 + 0.06 * a
    return [
        (MAIN, ellipse(w + 0.02, 0.02, 0.15, 0.18)),
        (HOLE, ellipse(w + 0.02, 0.02, 0.08, 0.11)),
        (MAIN, rect(-w, -0.3, w, 0.38)),
        (MAIN, ellipse(0, 0.38, w, 0.06)),
        (DARK, ellipse(0, -0.3, w, 0.06)),
        (ACCENT, rect(-w, -0.05 + 0.1 * b, w, 0.05 + 0.1 * b)),
    ]


def _comb(a: float, b: float) -> list[Part]:
    parts: list[Part] = [(MAIN, rounded(-0.45, -0.2, 0.45, -0.05 + 0.05 * b, 0.04))]
    teeth = 12 + int(10 * a)
    for i in range(teeth):
        x = -0.42 + 0.84 * i / (teeth - 1)
        parts.append((MAIN, rect(x - 0.012, -0.1, x + 0.012, 0.28)))
    parts.append((ACCENT, rect(-0.2, -0.17, 0.2, -0.12)))
    return parts


def _keychain(a: float, b: float) -> list[Part]:
    tag = ellipse(0, 0.18, 0.22, 0.22) if a < 0.5 else rounded(-0.2, -0.02, 0.2, 0.42, 0.06)
    return [
        (METAL, ellipse(0, -0.33, 0.13, 0.13)),
        (HOLE, ellipse(0, -0.33, 0.1, 0.1)),
        (METAL, rect(-0.015, -0.2, 0.015, -0.02)),
        (MAIN, tag),
        (ACCENT, ellipse(0, 0.19, 0.08 + 0.05 * b, 0.08)),
    ]


def _cabinet_handle(a: float, b: float) -> list[Part]:
    length = 0.35 + 0.1 * a
    return [
        (DARK, rect(-length + 0.05, -0.02, -length + 0.11, 0.12)),
        (DARK, rect(length - 0.11, -0.02, length - 0.05, 0.12)),
        (MAIN, rounded(-length, -0.07 - 0.03 * b, length, 0.03 + 0.03 * b, 0.04)),
        (LIGHT, rect(-length + 0.05, -0.05, length - 0.05, -0.035)),
    ]


def _knob(a: float, b: float) -> list[Part]:
    r = 0.3 + 0.1 * a
    return [
        (DARK, ellipse(0.03, 0.03, r, r)),
        (MAIN, ellipse(0, 0, r, r)),
        (ACCENT, ellipse(0, 0, r * (0.45 + 0.3 * b), r * (0.45 + 0.3 * b))),
        (LIGHT, ellipse(-r * 0.3, -r * 0.3, r * 0.12, r * 0.08)),
    ]


def _drawer_slide(a: float, b: float) -> list[Part]:
    h = 0.08 + 0.04 * a
    parts: list[Part] = [
        (METAL, rect(-0.48, -h, 0.48, h)),
        (DARK, rect(-0.2 - 0.2 * b, -h * 0.4, 0.48, h * 0.4)),
    ]
    for x in (-0.4, -0.25, 0.1, 0.3):
        parts.append((HOLE, ellipse(x, -h * 0.7, 0.015, 0.015)))
    return parts


def _caster(a: float, b: float) -> list[Part]:
    r = 0.2 + 0.08 * a
    return [
        (MAIN, rect(-0.25, -0.42, 0.25, -0.36)),
        (MAIN, [(-0.18, -0.36), (0.18, -0.36), (0.12 + 0.05 * b, 0.05), (-0.12 - 0.05 * b, 0.05)]),
        (DARK, ellipse(0, 0.22, r, r)),
        (METAL, ellipse(0, 0.22, r * 0.4, r * 0.4)),
    ]


def _plush_bear(a: float, b: float) -> list[Part]:
    head = 0.18 + 0.05 * a
    return [
        (MAIN, ellipse(-head * 0.8, -0.4 + head * 0.3, 0.08, 0.08)),
        (MAIN, ellipse(head * 0.8, -0.4 + head * 0.3, 0.08, 0.08)),
        (MAIN, ellipse(0, 0.2, 0.22 + 0.05 * b, 0.26)),
        (MAIN, ellipse(-0.22, 0.4, 0.09, 0.07)),
        (MAIN, ellipse(0.22, 0.4, 0.09, 0.07)),
        (MAIN, ellipse(0, -0.18, head, head * 0.9)),
        (ACCENT, ellipse(0, -0.11, head * 0.45, head * 0.33)),
        (DARK, ellipse(-head * 0.4, -0.24, 0.025, 0.03)),
        (DARK, ellipse(head * 0.4, -0.24, 0.025, 0.03)),
        (DARK, ellipse(0, -0.14, 0.03, 0.02)),
        (ACCENT, ellipse(0, 0.22, 0.12, 0.14)),
    ]


def _blocks(a: float, b: float) -> list[Part]:
    parts: list[Part] = []
    layout = [
        (-0.3, 0.1, MAIN),
        (0.0, 0.1, ACCENT),
        (0.3, 0.1, MAIN),
        (-0.15, -0.15, DARK),
        (0.15, -0.15, MAIN),
        (0.0, -0.4, ACCENT),
    ]
    count = 4 + int(3 * a)
    for x, y, role in layout[:count]:
        parts.append((role, rect(x - 0.14, y - 0.12, x + 0.14, y + 0.12 + 0.05 * b)))
        parts.append((LIGHT, ellipse(x - 0.06, y - 0.13, 0.035, 0.018)))
        parts.append((LIGHT, ellipse(x + 0.06, y - 0.13, 0.035, 0.018)))
    return parts


def _toy_car(a: float, b: float) -> list[Part]:
    cab = 0.15 + 0.1 * a
    return [
        (MAIN, rounded(-0.44, -0.05, 0.44, 0.2, 0.06)),
        (
            ACCENT,
            [
                (-cab - 0.1, -0.05),
                (-cab, -0.25 - 0.05 * b),
                (cab, -0.25 - 0.05 * b),
                (cab + 0.1, -0.05),
            ],
        ),
        (LIGHT, [(-cab - 0.04, -0.07), (-cab + 0.02, -0.2), (-0.02, -0.2), (-0.02, -0.07)]),
        (LIGHT, [(0.02, -0.07), (0.02, -0.2), (cab - 0.02, -0.2), (cab + 0.04, -0.07)]),
        (DARK, ellipse(-0.26, 0.22, 0.1, 0.1)),
        (DARK, ellipse(0.26, 0.22, 0.1, 0.1)),
        (METAL, ellipse(-0.26, 0.22, 0.04, 0.04)),
        (METAL, ellipse(0.26, 0.22, 0.04, 0.04)),
    ]


def _ball(a: float, b: float) -> list[Part]:
    r = 0.36 + 0.08 * a
    stripe = [
        (-r + 2 * r * i / 20, 0.1 * math.sin(math.pi * i / 20 * (1 + b)) - 0.05) for i in range(21)
    ]
    return [
        (MAIN, ellipse(0, 0, r, r, 40)),
        (ACCENT, band(stripe, 0.1)),
        (LIGHT, ellipse(-r * 0.35, -r * 0.4, r * 0.15, r * 0.1)),
    ]


FAMILIES: dict[str, Callable[[float, float], list[Part]]] = {
    "tshirt": _tshirt,
    "hoodie": _hoodie,
    "dress": _dress,
    "trousers": _trousers,
    "swatch": _swatch,
    "fabric_roll": _fabric_roll,
    "hinge": _hinge,
    "bolt": _bolt,
    "wrench": _wrench,
    "box": _box,
    "paper_bag": _paper_bag,
    "bottle": _bottle,
    "cable": _cable,
    "charger": _charger,
    "phone_case": _phone_case,
    "earbuds": _earbuds,
    "mug": _mug,
    "comb": _comb,
    "keychain": _keychain,
    "cabinet_handle": _cabinet_handle,
    "knob": _knob,
    "drawer_slide": _drawer_slide,
    "caster": _caster,
    "plush_bear": _plush_bear,
    "blocks": _blocks,
    "toy_car": _toy_car,
    "ball": _ball,
}
