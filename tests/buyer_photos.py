"""Buyer photos made in code from a product's picture, the ways buyers really send them.

Shared by the quality bench (``tests/bench/bench_quality.py``), the comparator's
unit tests and the end-to-end tests. Every condition is a pure function of the
picture and a seed, so a failing case can be made again:

- ``phone``: a phone shot stored sideways with EXIF orientation 6, a little
  off-centre and noisy (preprocess turns it upright);
- ``table``: the product cut out and set on a light wooden table among clutter,
  smaller and off-centre;
- ``close_crop``: the middle of the product, filling the frame;
- ``dim``: a dark, washed-out shot (contrast squeezed to 35 %, exposure down);
- ``cutout``: a transparent PNG cut-out (what a buyer's background remover makes);
- ``screenshot``: a reseller's listing captured from a phone: the app's bar, a
  shop watermark, a price banner and the price below, re-encoded;
- ``perspective``: shot at an angle (a perspective warp) and slightly out of focus.

``HELD_OUT`` holds more conditions that no rule was tuned on, for
``tests/bench/bench_unseen.py`` (products the quality bench does not pick): a mirrored
shot, a small thumbnail, a tiled watermark, warm light, a small picture on a wide white
canvas, a hand over part of the product, a very tight crop (28-38 % of the frame), a
grey-scale photo, a busy background, a heavily compressed small JPEG, a photo turned a
quarter without EXIF, an out-of-focus shot, an over-exposed shot, a grainy low-light shot
(high ISO noise), a shot tilted in the frame (12-25 degrees), and the product beside
another object on a shelf.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

EXIF_ORIENTATION = 0x0112


def _jpeg(image: Image.Image, quality: int = 88, exif: Image.Exif | None = None) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality, exif=exif or Image.Exif())
    return buffer.getvalue()


def _noisy(image: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, sigma, pixels.shape)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def alpha_of(picture: Image.Image) -> Image.Image:
    """Where the picture differs from its corner colour (a crude background remover)."""
    rgb = np.asarray(picture.convert("RGB"), dtype=np.int16)
    corner = np.concatenate([rgb[:6, :6], rgb[:6, -6:]]).reshape(-1, 3).mean(axis=0)
    distance = np.abs(rgb - corner).sum(axis=2)
    return Image.fromarray(np.clip((distance - 24) * 8, 0, 255).astype(np.uint8), "L")


def phone(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    shift = rng.uniform(-0.06, 0.06) * side, rng.uniform(-0.06, 0.06) * side
    frame = Image.new("RGB", (side, round(side * 4 / 3)), (244, 244, 242))
    frame.paste(picture, (round(shift[0]), round(side / 6 + shift[1])))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # viewers turn it 90° clockwise: stored turned the other way
    sideways = _noisy(frame, rng, 5).transpose(Image.Transpose.ROTATE_90)
    return _jpeg(sideways, quality=85, exif=exif)


def _table_scene(side: int, rng: random.Random) -> Image.Image:
    yy = np.linspace(0, 1, side, dtype=np.float32)[:, None]
    xx = np.linspace(0, 1, side, dtype=np.float32)[None, :]
    grain = 0.94 + 0.06 * np.sin(2 * np.pi * (yy * 30 + 0.8 * np.sin(xx * 7 + rng.random() * 6)))
    base = np.array([rng.uniform(200, 235), rng.uniform(180, 210), rng.uniform(150, 180)])
    wood = base[None, None, :] * grain[..., None] * np.ones((side, side, 1), dtype=np.float32)
    scene = Image.fromarray(np.clip(wood, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(scene)
    for _ in range(rng.randint(4, 7)):
        # Clutter lies around the edges: a cup, a phone, papers, a pen.
        edge = rng.choice(("left", "right", "top", "bottom"))
        w, h = rng.uniform(0.08, 0.2) * side, rng.uniform(0.06, 0.16) * side
        if edge in ("left", "right"):
            x = rng.uniform(0, 0.12) * side if edge == "left" else rng.uniform(0.8, 0.95) * side
            y = rng.uniform(0, 0.9) * side
        else:
            x = rng.uniform(0, 0.9) * side
            y = rng.uniform(0, 0.1) * side if edge == "top" else rng.uniform(0.84, 0.95) * side
        colour = tuple(rng.randrange(30, 240) for _ in range(3))
        box = (x, y, x + w, y + h)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=colour)
        else:
            draw.rectangle(box, fill=colour)
    return scene


def table(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    scene = _table_scene(side, rng)
    size = round(side * rng.uniform(0.7, 0.8))
    product = picture.resize((size, size), Image.Resampling.LANCZOS)
    at = (
        round((side - size) / 2 + rng.uniform(-0.06, 0.06) * side),
        round((side - size) / 2 + rng.uniform(-0.06, 0.06) * side),
    )
    scene.paste(product, at, alpha_of(product))
    return _jpeg(_noisy(scene, rng, 3))


def close_crop(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    keep = rng.uniform(0.45, 0.6)
    cx, cy = 0.5 + rng.uniform(-0.05, 0.05), 0.5 + rng.uniform(-0.05, 0.05)
    box = (
        (cx - keep / 2) * side,
        (cy - keep / 2) * side,
        (cx + keep / 2) * side,
        (cy + keep / 2) * side,
    )
    return _jpeg(_noisy(picture.crop(box).resize((900, 900)), rng, 3))


def dim(picture: Image.Image, rng: random.Random) -> bytes:
    contrast = rng.uniform(0.3, 0.4)
    level = rng.uniform(70, 110)
    pixels = np.asarray(picture.convert("RGB"), dtype=np.float32)
    dull = level + (pixels - 128) * contrast
    return _jpeg(_noisy(Image.fromarray(np.clip(dull, 0, 255).astype(np.uint8)), rng, 4))


def cutout(picture: Image.Image, rng: random.Random) -> bytes:
    rgba = picture.convert("RGB").copy()
    rgba.putalpha(alpha_of(picture))
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    return buffer.getvalue()


def screenshot(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    page = Image.new("RGB", (side, round(side * 1.1)), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, side, round(side * 0.03)), fill=(250, 90, 20))  # the app's top bar
    page.paste(picture, (0, round(side * 0.04)))
    mark = rng.choice(("HOT SALE", "1688", "TOP SHOP", "VIP"))
    overlay = Image.new("L", (side, side), 0)
    ImageDraw.Draw(overlay).text(
        (rng.uniform(0.1, 0.5) * side, rng.uniform(0.2, 0.7) * side),
        mark,
        fill=140,
        font=ImageFont.load_default(size=round(side * 0.08)),
    )
    page.paste((255, 255, 255), (0, round(side * 0.04)), overlay)
    draw.rectangle(
        (0, round(side * 0.92), side, round(side * 1.02)), fill=(rng.randrange(256), 30, 30)
    )
    draw.text((side * 0.05, side * 1.04), "¥ 12.50  2+", fill=(230, 40, 40))
    return _jpeg(page, quality=rng.randint(60, 75))


def perspective(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    squeeze = rng.uniform(0.06, 0.12) * side
    # The far edge (top or left) looks shorter: the output's corners (upper left, lower
    # left, lower right, upper right) sample a wider span of the picture along that edge.
    quad = (
        (-squeeze, 0, 0, side, side, side, side + squeeze, 0)
        if rng.random() < 0.5
        else (0, -squeeze, 0, side + squeeze, side, side, side, 0)
    )
    background = Image.new("RGB", picture.size, picture.getpixel((2, 2)))
    warped = picture.convert("RGB").transform(
        picture.size, Image.Transform.QUAD, quad, Image.Resampling.BILINEAR, fillcolor=None
    )
    mask = Image.new("L", picture.size, 255).transform(
        picture.size, Image.Transform.QUAD, quad, Image.Resampling.BILINEAR
    )
    background.paste(warped, (0, 0), mask)
    blurred = background.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 2.2) * side / 800))
    return _jpeg(_noisy(blurred, rng, 3))


CONDITIONS: dict[str, Callable[[Image.Image, random.Random], bytes]] = {
    "phone": phone,
    "table": table,
    "close_crop": close_crop,
    "dim": dim,
    "cutout": cutout,
    "screenshot": screenshot,
    "perspective": perspective,
}


def mirrored(picture: Image.Image, rng: random.Random) -> bytes:
    return _jpeg(_noisy(ImageOps.mirror(picture), rng, 3))


def thumbnail(picture: Image.Image, rng: random.Random) -> bytes:
    side = rng.randint(160, 240)
    small = picture.resize((side, side), Image.Resampling.BILINEAR)
    return _jpeg(small, quality=rng.randint(55, 75))


def watermark(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    layer = Image.new("L", (side * 2, side * 2), 0)
    draw = ImageDraw.Draw(layer)
    font = ImageFont.load_default(size=round(side * 0.06))
    text = rng.choice(("SAMPLE", "WHOLESALE", "COPYRIGHT"))
    for y in range(0, side * 2, round(side * 0.18)):
        for x in range(0, side * 2, round(side * 0.45)):
            draw.text((x, y), text, fill=110, font=font)
    turned = layer.rotate(30, resample=Image.Resampling.BILINEAR)
    marked = picture.copy()
    marked.paste(
        (255, 255, 255), (0, 0), turned.crop((side // 2, side // 2, side * 3 // 2, side * 3 // 2))
    )
    return _jpeg(marked)


def warm(picture: Image.Image, rng: random.Random) -> bytes:
    pixels = np.asarray(picture, dtype=np.float32)
    gain = np.array([rng.uniform(1.1, 1.2), 1.0, rng.uniform(0.7, 0.8)], dtype=np.float32)
    cast = np.clip(pixels * gain + rng.uniform(-10, 10), 0, 255).astype(np.uint8)
    return _jpeg(_noisy(Image.fromarray(cast), rng, 3))


def padded(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    small = picture.resize((round(side * rng.uniform(0.35, 0.5)),) * 2)
    canvas = Image.new("RGB", (side, side), (255, 255, 255))
    canvas.paste(small, (rng.randint(0, side - small.width), rng.randint(0, side - small.height)))
    return _jpeg(canvas)


def occluded(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    held = picture.copy()
    x, y = rng.uniform(0.0, 0.3) * side, rng.uniform(0.5, 0.7) * side
    ImageDraw.Draw(held).ellipse((x, y, x + side * 0.35, y + side * 0.5), fill=(224, 172, 140))
    return _jpeg(_noisy(held, rng, 3))


def tight(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    margin = side * (1 - rng.uniform(0.28, 0.38)) / 2
    box = (margin, margin, side - margin, side - margin)
    return _jpeg(_noisy(picture.crop(box).resize((900, 900)), rng, 3))


def grayscale(picture: Image.Image, rng: random.Random) -> bytes:
    return _jpeg(_noisy(picture.convert("L").convert("RGB"), rng, 3))


def busy(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    cells = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 255, (side // 16,) * 2 + (3,))
    scene = Image.fromarray(cells.astype(np.uint8)).resize((side, side), Image.Resampling.BICUBIC)
    scene.paste(picture, (0, 0), alpha_of(picture))
    return _jpeg(_noisy(scene, rng, 3))


def compressed(picture: Image.Image, rng: random.Random) -> bytes:
    side = rng.randint(300, 420)
    return _jpeg(picture.resize((side, side)), quality=rng.randint(12, 22))


def turned_90(picture: Image.Image, rng: random.Random) -> bytes:
    return _jpeg(_noisy(picture.rotate(90, expand=True), rng, 3))


def blurred(picture: Image.Image, rng: random.Random) -> bytes:
    return _jpeg(_noisy(picture.filter(ImageFilter.GaussianBlur(rng.uniform(4, 7))), rng, 3))


def bright(picture: Image.Image, rng: random.Random) -> bytes:
    pixels = np.asarray(picture, dtype=np.float32)
    blown = np.clip(pixels * rng.uniform(1.4, 1.7) + rng.uniform(30, 50), 0, 255)
    return _jpeg(_noisy(Image.fromarray(blown.astype(np.uint8)), rng, 3))


def grainy(picture: Image.Image, rng: random.Random) -> bytes:
    pixels = np.asarray(picture, dtype=np.float32) * rng.uniform(0.75, 0.9)
    noise_rng = np.random.default_rng(rng.randrange(1 << 30))
    # Luminance grain plus coarser colour blotches, as a phone's high-ISO shot has.
    grain = noise_rng.normal(0, rng.uniform(16, 24), pixels.shape[:2])[..., None]
    blotches = noise_rng.normal(0, 14, (pixels.shape[0] // 4, pixels.shape[1] // 4, 3))
    chroma = np.kron(blotches, np.ones((4, 4, 1)))[: pixels.shape[0], : pixels.shape[1]]
    return _jpeg(Image.fromarray(np.clip(pixels + grain + chroma, 0, 255).astype(np.uint8)), 80)


def tilted(picture: Image.Image, rng: random.Random) -> bytes:
    angle = rng.choice((-1, 1)) * rng.uniform(12, 25)
    fill = tuple(rng.randint(200, 235) for _ in range(3))
    turned = picture.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=fill)
    return _jpeg(_noisy(turned, rng, 4))


def beside(picture: Image.Image, rng: random.Random) -> bytes:
    side = picture.width
    shelf = Image.new("RGB", (side, side), tuple(rng.randint(225, 245) for _ in range(3)))
    small = picture.resize((round(side * 0.6),) * 2)
    left = rng.random() < 0.5
    x = round(side * 0.02) if left else side - small.width - round(side * 0.02)
    shelf.paste(small, (x, round(side * 0.2)), alpha_of(small))
    # Another object (a jar: body and lid) on the other side, in a colour of its own.
    draw = ImageDraw.Draw(shelf)
    ox = round(side * 0.68) if left else round(side * 0.06)
    width = round(side * 0.26)
    colour = tuple(rng.randint(30, 200) for _ in range(3))
    draw.rounded_rectangle(
        (ox, round(side * 0.35), ox + width, round(side * 0.85)), radius=side // 30, fill=colour
    )
    draw.rectangle((ox + 8, round(side * 0.3), ox + width - 8, round(side * 0.37)), fill=(90,) * 3)
    return _jpeg(_noisy(shelf, rng, 4))


HELD_OUT: dict[str, Callable[[Image.Image, random.Random], bytes]] = {
    "mirrored": mirrored,
    "thumbnail": thumbnail,
    "watermark": watermark,
    "warm": warm,
    "padded": padded,
    "occluded": occluded,
    "tight": tight,
    "grayscale": grayscale,
    "busy": busy,
    "compressed": compressed,
    "turned_90": turned_90,
    "blurred": blurred,
    "bright": bright,
    "grainy": grainy,
    "tilted": tilted,
    "beside": beside,
}


def buyer_photo(picture: Image.Image, condition: str, seed: int) -> bytes:
    """``picture`` (a product photo, square) as a buyer would send it under ``condition``
    (one of ``CONDITIONS`` or ``HELD_OUT``)."""
    make = CONDITIONS.get(condition) or HELD_OUT[condition]
    return make(picture.convert("RGB"), random.Random(f"{condition}:{seed}"))
