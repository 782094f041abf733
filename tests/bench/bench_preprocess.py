"""Preprocess speed and quality, against the seed article's pipeline measured in the same run.

Photos (made in code, with natural-image texture and noise, see sample_images):
a 12-MP photo JPEG, a 12-MP phone JPEG stored sideways with EXIF orientation 6,
a 2000x2000 RGBA PNG cut-out and a 1000x1000 WebP.

Pipelines, all on one core (libvips is set to one thread by our resampling module):
- seed: the seed article's code, re-implemented from its description (open,
  flatten, LANCZOS to 1200, ImageEnhance contrast 1.2, JPEG q90): the baseline;
- ours: ``prepare()`` (role product);
- other libraries' fastest equivalents: libvips ``thumbnail`` + jpegsave,
  Pillow ``draft`` + LANCZOS, simplejpeg scaled decode + Pillow LANCZOS + simplejpeg encode.

Printed: median CPU ms per photo (with the interquartile range) and the ratio to
the seed; PSNR against a careful reference (full decode, orientation,
straight-alpha flatten, Pillow LANCZOS from full size to our size, the same
enhancement) two ways: like for like (the reference encoded as ours was, so
the number measures what our shortcuts cost) and strict (our JPEG against the
unencoded reference, shown with the ceiling that JPEG encoding alone allows);
images per second through the worker pool with 1 and with all workers.
For each photo, the floor is timed beside them, part by part, each the fastest
way measured here (see decoding.py, flatten.py, resampling.py and encoding.py):
for a JPEG libjpeg-turbo's decode (simplejpeg) at the DCT scale our output
needs; for the PNG and the WebP the full decode (libvips' pngload; libwebp's
WebPDecode through the ``webp`` package), then libvips' flatten onto white when there is alpha; then libvips'
lanczos3 resize to our size when it is smaller, and Pillow's q90 4:2:0 encode.
The floor has none of the required steps (orientation, ICC, the transparency
check, measured enhancement, phash, SHA-256, the byte budget).
Targets (issue 20): JPEGs <= 1.2x their floor and PSNR like for like >= 38 dB;
the PNG cut-out <= 0.5x seed; the WebP <= 0.7x seed; all workers >= 1.8x one.
The load average is printed too: on a shared machine the ratios move with it.

Run: python -m tests.bench.bench_preprocess
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import io
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pyvips
import simplejpeg
import webp
from PIL import Image, ImageEnhance, ImageOps

from services.preprocess.decoding import dct_scaled_size
from services.preprocess.encoding import encode_jpeg
from services.preprocess.enhancement import PhotoRole, enhance
from services.preprocess.geometry import pad_onto_white, plan_geometry
from services.preprocess.orientation import to_stored
from services.preprocess.pipeline import PreparedPhoto, prepare
from services.preprocess.settings import PreprocessSettings, effective_cpu_count
from services.preprocess.worker_pool import WorkerPool
from tests.unit.preprocess.sample_images import cut_out, encoded, photo

SETTINGS = PreprocessSettings()
ROUNDS = 15
THROUGHPUT_PHOTOS = 24
Pipeline = Callable[[bytes], bytes]
Part = Callable[[], object]


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def seed_pipeline(data: bytes) -> bytes:
    """The seed article's _preprocess_image, as described (its LA branch bug aside)."""
    with Image.open(io.BytesIO(data)) as opened:
        image: Image.Image = opened
        if image.mode in ("RGBA", "LA"):
            background = Image.new(image.mode[:-1], image.size, (255, 255, 255))
            background.paste(image, mask=image.split()[-1])
            image = background
        elif image.mode == "P":
            image = image.convert("RGB")
        width, height = image.size
        if max(width, height) > 1200:
            ratio = 1200 / max(width, height)
            size = (int(width * ratio), int(height * ratio))
            image = image.resize(size, Image.Resampling.LANCZOS)
        image = ImageEnhance.Contrast(image).enhance(1.2)
        return _jpeg(image)


def ours(data: bytes) -> bytes:
    return prepare(data, PhotoRole.PRODUCT, SETTINGS).jpeg


def vips_thumbnail(data: bytes) -> bytes:
    image = pyvips.Image.thumbnail_buffer(data, 1200, height=1200, size="down")
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    return bytes(image.jpegsave_buffer(Q=90, keep="none"))


def pillow_draft(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as opened:
        opened.draft("RGB", (1200, 1200))
        image = ImageOps.exif_transpose(opened.convert("RGB"))
    image.thumbnail((1200, 1200), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _jpeg(image)


def simplejpeg_pillow(data: bytes) -> bytes:
    width, height = simplejpeg.decode_jpeg_header(data)[:2]
    scale = 1200 / max(width, height)
    size = (round(width * scale), round(height * scale))
    pixels = simplejpeg.decode_jpeg(data, "RGB", min_width=size[0], min_height=size[1])
    image = Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS)
    return bytes(simplejpeg.encode_jpeg(np.asarray(image), 90, "RGB", "420"))


OTHERS: dict[str, Pipeline] = {
    "libvips thumbnail": vips_thumbnail,
    "Pillow draft": pillow_draft,
    "simplejpeg+Pillow": simplejpeg_pillow,
}


def _stored_output(data: bytes, result: PreparedPhoto) -> tuple[int, int]:
    """Our output size in the stored pixels' axes (a sideways phone photo's are swapped)."""
    with Image.open(io.BytesIO(data)) as opened:
        orientation = opened.getexif().get(0x0112, 1)
    return to_stored((result.width, result.height), orientation)


def jpeg_floor_parts(data: bytes, result: PreparedPhoto) -> dict[str, Part]:
    """The three steps no JPEG pipeline avoids, each the fastest way measured here."""
    height, width = simplejpeg.decode_jpeg_header(data)[:2]
    stored = (width, height)
    target = _stored_output(data, result)
    scaled = dct_scaled_size(stored, target)
    decoded = simplejpeg.decode_jpeg(data, "RGB", min_width=scaled[0], min_height=scaled[1])
    height, width = decoded.shape[:2]

    def decode() -> object:
        return simplejpeg.decode_jpeg(data, "RGB", min_width=scaled[0], min_height=scaled[1])

    def resize() -> bytes:
        source = pyvips.Image.new_from_memory(decoded.data, width, height, 3, "uchar")
        scale = (target[0] / width, target[1] / height)
        resized = source.resize(scale[0], vscale=scale[1], kernel="lanczos3")
        memory: bytes = resized.write_to_memory()
        return memory

    output = Image.frombuffer("RGB", target, resize(), "raw", "RGB", 0, 1)

    def encode() -> bytes:
        return encode_jpeg(output, 90)

    return {
        f"decode 1/{stored[0] // width} ({width}x{height})": decode,
        f"resize to {target[0]}x{target[1]}": resize,
        "encode q90": encode,
    }


def _vips_rgb(image: pyvips.Image) -> Image.Image:
    memory = image.write_to_memory()
    return Image.frombuffer("RGB", (image.width, image.height), memory, "raw", "RGB", 0, 1)


def decoded_floor_parts(data: bytes, fmt: str, result: PreparedPhoto) -> dict[str, Part]:
    """The steps no PNG or WebP pipeline avoids, each the fastest way measured here: the full
    decode (neither format decodes at a reduced scale here), the flatten onto white of a
    transparent one, the resize when the output is smaller, and the q90 encode."""
    target = (result.width, result.height)
    if fmt == "PNG":
        loaded = pyvips.Image.pngload_buffer(data).copy_memory()
        parts: dict[str, Part] = {
            "decode: libvips pngload": lambda: pyvips.Image.pngload_buffer(data).copy_memory()
        }
    else:
        mode = webp.WebPColorMode.RGB
        array = webp.WebPData.from_buffer(data).decode(color_mode=mode)
        loaded = pyvips.Image.new_from_memory(
            array.tobytes(), array.shape[1], array.shape[0], array.shape[2], "uchar"
        ).copy_memory()
        parts = {"decode: libwebp (webp)": lambda: webp.WebPData.from_buffer(data).decode(mode)}
    if loaded.hasalpha():
        flat = loaded.flatten(background=[255] * (loaded.bands - 1)).copy_memory()
        parts["flatten onto white (libvips)"] = lambda: loaded.flatten(
            background=[255] * (loaded.bands - 1)
        ).write_to_memory()
    else:
        flat = loaded
    if (flat.width, flat.height) != target:
        scale = (target[0] / flat.width, target[1] / flat.height)

        def resize() -> object:
            resized = flat.resize(scale[0], vscale=scale[1], kernel="lanczos3")
            return resized.write_to_memory()

        parts[f"resize to {target[0]}x{target[1]}"] = resize
        flat = flat.resize(scale[0], vscale=scale[1], kernel="lanczos3")
    output = _vips_rgb(flat)
    parts["encode q90"] = lambda: encode_jpeg(output, 90)
    return parts


def photos() -> dict[str, bytes]:
    exif = Image.Exif()
    exif[0x0112] = 6
    phone = photo(3024, 4032, seed=2).transpose(Image.Transpose.ROTATE_90)  # stored sideways
    return {
        "12-MP photo JPEG": encoded(photo(4000, 3000, seed=1), "JPEG", quality=92),
        "12-MP phone JPEG, EXIF 6": encoded(phone, "JPEG", quality=92, exif=exif),
        "2000x2000 RGBA PNG cut-out": encoded(cut_out(2000, seed=3), "PNG"),
        "1000x1000 WebP": encoded(photo(1000, 1000, seed=4), "WEBP", quality=85),
    }


def _times(steps: dict[str, Part]) -> dict[str, list[float]]:
    """CPU milliseconds of this process per run (every thread counted, so a multi-threaded
    step is not flattered), the steps interleaved round by round. CPU time, not wall time:
    other processes on a shared machine stretch wall time by 2-3x and unevenly between steps."""
    for step in steps.values():
        step()  # warm-up: imports, caches, first allocations
    runs: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(ROUNDS):
        for name, step in steps.items():
            started = time.process_time()
            step()
            runs[name].append((time.process_time() - started) * 1000)
    return runs


def careful_reference(data: bytes, result: PreparedPhoto) -> np.ndarray:
    """The same photo made the slow way: full decode, LANCZOS from full size, same enhancement."""
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, (0, 0), rgba.getchannel("A"))
        image = image.convert("RGB")
    plan = plan_geometry(
        image.size,
        long_side_max=SETTINGS.long_side_max,
        short_side_min=SETTINGS.short_side_min,
        min_side_floor=SETTINGS.min_side_floor,
    )
    image = enhance(image.resize(plan.content, Image.Resampling.LANCZOS), PhotoRole.PRODUCT, [])
    if image.size != (result.width, result.height):
        image = pad_onto_white(image, (result.width, result.height))
    return np.asarray(image, dtype=np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def _pixels(jpeg: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(jpeg)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _report_photo(name: str, data: bytes) -> dict[str, float]:
    pipelines: dict[str, Pipeline] = {"seed": seed_pipeline, "ours": ours, **OTHERS}
    is_jpeg = "JPEG" in name
    if not is_jpeg:
        pipelines.pop("simplejpeg+Pillow")  # JPEG only
    result = prepare(data, PhotoRole.PRODUCT, SETTINGS)
    if is_jpeg:
        parts = jpeg_floor_parts(data, result)
    else:
        parts = decoded_floor_parts(data, "PNG" if "PNG" in name else "WEBP", result)
    steps = {label: functools.partial(pipeline, data) for label, pipeline in pipelines.items()}
    runs = _times({**steps, **{f"floor: {label}": part for label, part in parts.items()}})
    medians = {label: statistics.median(ms) for label, ms in runs.items()}
    print(f"\n== {name}: {len(data) / 1e6:.2f} MB")
    for label, ms in runs.items():
        q1, _, q3 = statistics.quantiles(ms, n=4)
        ratio = medians[label] / medians["seed"]
        print(
            f"  {label:34s} {medians[label]:7.1f} ms  (IQR {q1:6.1f}-{q3:6.1f}, min {min(ms):6.1f})"
            f"  {ratio:5.2f}x seed"
        )
    floor = sum(medians[f"floor: {label}"] for label in parts)
    print(
        f"  {'floor (sum of its parts)':34s} {floor:7.1f} ms  {floor / medians['seed']:5.2f}x seed"
    )
    reference = careful_reference(data, result)
    ours_pixels = _pixels(result.jpeg)
    encoded_reference = _pixels(
        _jpeg(Image.fromarray(reference.astype(np.uint8)), result.jpeg_quality)
    )
    like_for_like = psnr(ours_pixels, encoded_reference)
    strict, ceiling = psnr(ours_pixels, reference), psnr(encoded_reference, reference)
    print(
        f"  ours: {result.width}x{result.height}, {result.byte_size / 1e3:.0f} KB, {list(result.steps)}"
    )
    print(
        f"  PSNR vs careful reference: like for like {like_for_like:.2f} dB; strict {strict:.2f} dB"
        f" (the reference's own q{result.jpeg_quality} JPEG: {ceiling:.2f} dB)"
    )
    fastest = min(medians[label] for label in OTHERS if label in medians)
    return {
        "seed": medians["seed"],
        "ours": medians["ours"],
        "fastest_other": fastest,
        "floor": floor,
        "decode": next(medians[f"floor: {label}"] for label in parts if "decode" in label),
        "quality": result.jpeg_quality,
        "psnr": like_for_like,
        "strict_psnr": strict,
        "ceiling": ceiling,
    }


async def _images_per_second(workers: int, data: bytes) -> float:
    pool = WorkerPool(dataclasses.replace(SETTINGS, workers=workers))
    await pool.start()
    try:
        await asyncio.gather(*(pool.run(data, PhotoRole.PRODUCT) for _ in range(workers)))
        started = time.perf_counter()
        await asyncio.gather(*(pool.run(data, PhotoRole.PRODUCT) for _ in range(THROUGHPUT_PHOTOS)))
        return THROUGHPUT_PHOTOS / (time.perf_counter() - started)
    finally:
        await pool.close()


def main() -> None:
    print(__doc__.split("\n\n")[0])
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    samples = photos()
    results = {name: _report_photo(name, data) for name, data in samples.items()}
    cores = effective_cpu_count()
    data = samples["12-MP photo JPEG"]
    one = asyncio.run(_images_per_second(1, data))
    every = asyncio.run(_images_per_second(cores, data))
    print(
        f"\n== throughput, 12-MP photo JPEG: 1 worker {one:.1f}/s, {cores} workers {every:.1f}/s ({every / one:.2f}x)"
    )
    print("\n== summary (median CPU ms, ratio to the seed)")
    print(f"  {'photo':28s} {'seed':>8s} {'ours':>15s} {'best other':>15s} {'floor':>15s}")
    for name, r in results.items():
        cells = [
            f"{r[k]:6.1f} ({r[k] / r['seed']:.2f}x)" for k in ("ours", "fastest_other", "floor")
        ]
        print(f"  {name:28s} {r['seed']:6.1f}ms {cells[0]:>15s} {cells[1]:>15s} {cells[2]:>15s}")
    print("\n== targets (issue 20)")
    for name, r in results.items():
        if "JPEG" in name:
            versus = r["ours"] / r["floor"]
            budget = ""
            if r["quality"] != SETTINGS.jpeg_quality:
                # The q90 JPEG is over the byte target: ours predicts that from a sample and
                # encodes whole at the quality predicted to fit; the floor encodes at q90.
                budget = (
                    f"; q{SETTINGS.jpeg_quality} is over the {SETTINGS.target_bytes}-byte target,"
                    f" so ours encodes at q{r['quality']:.0f}"
                )
            print(
                f"  {_verdict(versus <= 1.2)} {name}: ours / floor = {versus:.3f}"
                f" (target <= 1.2{budget})"
            )
            print(
                f"  {_verdict(r['psnr'] >= 38)} {name}: PSNR like for like = {r['psnr']:.2f} dB"
                f" (target >= 38; strict {r['strict_psnr']:.2f}, JPEG alone allows {r['ceiling']:.2f})"
            )
    for name, limit in (("2000x2000 RGBA PNG cut-out", 0.5), ("1000x1000 WebP", 0.7)):
        r = results[name]
        ratio = r["ours"] / r["seed"]
        print(
            f"  {_verdict(ratio <= limit)} {name}: ours / seed = {ratio:.3f} (target <= {limit});"
            f" its floor is {r['floor'] / r['seed']:.3f}x seed, the full decode alone"
            f" {r['decode'] / r['seed']:.3f}x"
        )
    print(
        f"  {_verdict(every / one >= 1.8)} all {cores} workers / one = {every / one:.2f}x (target >= 1.8)"
    )
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
