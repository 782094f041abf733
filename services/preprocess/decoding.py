"""Untrusted photo bytes opened and decoded within limits, every failure given a reason.

Limits are checked on the header, before any pixel is decoded: the byte size,
the pixel count (decompression bombs), the number of progressive JPEG scans
(each one re-decodes the whole image). JPEGs are decoded at a reduced DCT
scale: libjpeg-turbo through simplejpeg (measured faster than Pillow's
``draft`` here), with Pillow as the fallback for CMYK and for damaged files it
tolerates. Measured on 12-MP photos (see tests/bench/bench_preprocess.py):
- only 1/2, 1/4 and 1/8 are worth it: libjpeg-turbo has SIMD code for those
  alone, so 3/8 costs as much as 1/2 (about 55 ms) for a smaller image;
- the floor is entropy decoding, which no scale avoids: 1/8 still takes
  about 43 ms of the 1/2 scale's 53 ms on the 4 MB bench photo;
- the reduced image must keep a margin over the target size for LANCZOS to
  clean up after the DCT's blockwise scaling: 1.25x gives >= 45 dB against a
  full decode, 1.0x only 42 dB;
- 3/8 (1500x1125 from 4000x3000, exactly that margin) was measured end to end:
  it saves about 2.5 ms of resizing, costs about 1 ms more decoding, and the
  bench's like-for-like PSNR falls from 38.9/38.4 dB to 37.2/36.8 dB (the 3x3
  IDCT is a poor low-pass), below the 38 dB target. 1/2 stays.
Plain 8-bit PNGs (L, LA, RGB, RGBA) are decoded by libvips (libspng): about
90 ms instead of Pillow's 140 for a 2000x2000 RGBA cut-out. Palette, 16-bit
and colour-key PNGs, and those whose EXIF follows the pixels, stay with Pillow,
whose conversions and metadata reading the rest of the pipeline relies on.

Still WebPs are decoded by libwebp's ``WebPDecode`` through the ``webp`` package
(cffi), straight into an RGB or RGBA array: pixels identical to Pillow's, which
goes through libwebp's animation decoder and an RGBA canvas (1000x1000 lossy,
CPU time: ``webp`` 15.7 ms, imagecodecs 16.4, Pillow 20.1, libvips 32). Animated
ones stay with Pillow (first frame). A WebP is still decoded whole: libwebp can
decode scaled down (libvips' ``webpload scale=``), but measured on a 4000x3000 q90 WebP to 1200x900 its
rescaler is a poor low-pass: like for like against a full decode and LANCZOS
(both through the same q90 encode; the full decode with our libvips LANCZOS
gives 41.5 dB) it gives 34.7 dB with the JPEG path's 1.25x margin, 35.8 at
1.5x, 37.6 at 2x and 38.4 only at 2.5x, where the time saved is gone (the
scaled decode saved about 30 % at 1.25x). Other full decoders measured on the
bench's 1000x1000 WebP: see above. libwebp's ``use_threads`` was left off: it
moves filtering to a second thread, which a worker per core cannot spare.
Where the rest of the bench WebP's time goes (1000x1000, no resize: cProfile,
CPU, per photo, under load): WebPDecode 15.3 ms of ~27, the q90 encode and the
size predictor's sample ~4.3, the channel histograms 1.1, Pillow's header read
(its WebPAnimDecoder) 0.8, array to Pillow image 0.7, phash's grey convert and
resize 1.2, SHA-256 0.2: the required steps, no single one worth a rewrite.

PNG decoders measured on the bench's 2000x2000 RGBA cut-out (CPU ms, one run,
every one identical to Pillow's pixels): libvips pngload (libspng) 54.5,
pyspng 54.1 (the same libspng), imagecodecs' libpng 59.4 and spng 59.4,
OpenCV's libpng 79.5 (BGRA, before the swap), Pillow 100. Inflating the IDAT
data alone takes 52 ms with the standard zlib, 44 with zlib-ng and 62 with
libdeflate (imagecodecs), so inflate is ~80 % of libvips' decode and no
decoder on offer is meaningfully faster: libvips stays (no new dependency).
"""

from __future__ import annotations

import io
import warnings as python_warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pillow_heif
import pyvips
import simplejpeg
import webp
from PIL import Image

from services.preprocess.colour_management import undo_assumed_adobe_inversion
from services.preprocess.declared_size import declared
from services.preprocess.errors import ImageRejected, Reason, reject
from services.preprocess.format_sniffing import PILLOW_FORMATS, sniff_format
from services.preprocess.geometry import plan_geometry
from services.preprocess.memory_budget import WEBP_PER_PIXEL, decode_bytes, too_costly
from services.preprocess.orientation import read_orientation, to_stored
from services.preprocess.pixel_modes import to_working_mode
from services.preprocess.resampling import Pixels
from services.preprocess.settings import PreprocessSettings

pillow_heif.register_heif_opener()

_DCT_MARGIN = 1.25
_TRUNCATION_HINTS = ("truncated", "end of file", "premature end", "unexpected end", "eof")
# What decoders say when an allocation fails (RLIMIT_AS reached, or a lying header).
_MEMORY_HINTS = ("out of memory", "cannot allocate", "memory allocation", "not enough memory")
_UNSUPPORTED_HINTS = ("not supported", "unsupported", "no decoding plugin", "unknown compression")
_SEVERAL_IMAGES_WARNING = {
    "GIF": "first frame of an animation used",
    "WEBP": "first frame of an animation used",
    "TIFF": "first page of a multi-page TIFF used",
    "HEIF": "first image of a HEIF collection used",
    "AVIF": "first frame of an animation used",
}


@dataclass
class SourcePhoto:
    """A photo whose header has been read; pixels are decoded already unless it is a JPEG,
    a plain PNG (``plain_png``: libvips decodes it later) or a still WebP (``still_webp``:
    libwebp decodes it later)."""

    data: bytes
    format: str
    image: Image.Image
    orientation: int
    warnings: list[str] = field(default_factory=list)
    plain_png: bool = False
    still_webp: bool = False

    @property
    def upright_size(self) -> tuple[int, int]:
        """Width and height as the photo is meant to be seen (EXIF orientation applied)."""
        return to_stored(self.image.size, self.orientation)


def _iso_box_cut_short(data: bytes) -> bool:
    """An ISO base media file (HEIF, AVIF) whose last top-level box runs past the end."""
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        if size == 1:  # a 64-bit size follows the type
            if offset + 16 > len(data):
                return True
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:  # the box runs to the end of the file
            return False
        if size < 8:
            return False  # damaged, not cut short
        offset += size
    return offset != len(data)


def _missing_end(data: bytes, fmt: str) -> bool:
    """The container says more bytes should follow (the file was cut short)."""
    if fmt in ("HEIF", "AVIF"):
        return _iso_box_cut_short(data)
    if fmt == "WEBP":
        return int.from_bytes(data[4:8], "little") + 8 > len(data)
    if fmt == "PNG":
        return b"IEND" not in data[-16:]
    if fmt == "GIF":
        return not data.rstrip(b"\x00").endswith(b";")
    return False


def _classify(exc: BaseException, data: bytes, fmt: str) -> ImageRejected:
    text = f"{type(exc).__name__}: {exc}".lower()
    if any(hint in text for hint in _MEMORY_HINTS):
        return reject(
            Reason.IMAGE_TOO_MANY_PIXELS, f"not enough memory to decode the {fmt} ({exc})"
        )
    if isinstance(exc, EOFError) or any(hint in text for hint in _TRUNCATION_HINTS):
        return reject(Reason.IMAGE_TRUNCATED, f"the {fmt} data ends early ({exc})")
    if any(hint in text for hint in _UNSUPPORTED_HINTS):
        return reject(
            Reason.IMAGE_FORMAT_UNSUPPORTED, f"this kind of {fmt} is not supported ({exc})"
        )
    if _missing_end(data, fmt):
        return reject(Reason.IMAGE_TRUNCATED, f"the {fmt} data ends early ({exc})")
    return reject(Reason.IMAGE_CORRUPT, f"the {fmt} data is damaged ({exc})")


@contextmanager
def _decoder_errors(data: bytes, fmt: str) -> Iterator[None]:
    """Any failure of a decoder on untrusted bytes becomes a rejection with a reason."""
    try:
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("ignore")
            yield
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise reject(Reason.IMAGE_TOO_MANY_PIXELS, str(exc)) from exc
    except MemoryError as exc:
        raise reject(Reason.IMAGE_TOO_MANY_PIXELS, "not enough memory to decode the photo") from exc
    # Decoders raise anything on hostile input (OSError, SyntaxError, struct.error, ValueError,
    # IndexError ...); every one of them is the input's fault.
    except Exception as exc:
        raise _classify(exc, data, fmt) from exc


def _check_pixels(size: tuple[int, int], fmt: str, settings: PreprocessSettings) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise reject(Reason.IMAGE_CORRUPT, f"the {fmt} header declares a {width}x{height} image")
    if width * height > settings.max_pixels:
        raise reject(
            Reason.IMAGE_TOO_MANY_PIXELS,
            f"{width}x{height} is {width * height} pixels; at most {settings.max_pixels} are accepted",
        )


def _check_declared(data: bytes, fmt: str, settings: PreprocessSettings) -> None:
    """Limits on what a PNG, GIF or WebP header declares, checked before Pillow opens it."""
    canvas = declared(data, fmt)
    if canvas is None:
        return
    size = (canvas.width, canvas.height)
    _check_pixels(size, fmt, settings)
    if canvas.frame_pixels > settings.max_pixels:
        raise reject(
            Reason.IMAGE_TOO_MANY_PIXELS,
            f"{canvas.frames} frames of {size[0]}x{size[1]} are {canvas.frame_pixels} pixels;"
            f" at most {settings.max_pixels} are accepted",
        )
    if fmt == "WEBP":  # opening one allocates its canvas already
        rejected = too_costly(canvas.pixels * WEBP_PER_PIXEL, size, settings.worker_memory_mb)
        if rejected is not None:
            raise rejected


def _decode_size(
    image: Image.Image, fmt: str, orientation: int, settings: PreprocessSettings
) -> tuple[int, int]:
    """The size the pixels will be decoded at (JPEG: the DCT scale the output needs)."""
    if fmt != "JPEG":
        return image.size
    plan = plan_geometry(
        to_stored(image.size, orientation),
        long_side_max=settings.long_side_max,
        short_side_min=settings.short_side_min,
        min_side_floor=settings.min_side_floor,
    )
    return dct_scaled_size(image.size, to_stored(plan.content, orientation))


def _check_memory(source: SourcePhoto, settings: PreprocessSettings) -> None:
    image = source.image
    size = _decode_size(image, source.format, source.orientation, settings)
    needed = decode_bytes(source.format, image, size, plain_png=source.plain_png)
    rejected = too_costly(needed, image.size, settings.worker_memory_mb)
    if rejected is not None:
        raise rejected


def _check_limits(image: Image.Image, data: bytes, fmt: str, settings: PreprocessSettings) -> None:
    _check_pixels(image.size, fmt, settings)
    # Only progressive JPEGs decode scan after scan; sequential ones have one scan per component.
    progressive = fmt == "JPEG" and image.info.get("progressive")
    if progressive and data.count(b"\xff\xda") > settings.max_jpeg_scans:
        raise reject(Reason.IMAGE_CORRUPT, "the JPEG has more scans than any real photo")


def open_photo(data: bytes, settings: PreprocessSettings) -> SourcePhoto:
    """Read the header and check every limit; decode now unless the photo is a JPEG."""
    if len(data) > settings.max_input_bytes:
        raise reject(
            Reason.IMAGE_TOO_LARGE,
            f"the photo is {len(data)} bytes; at most {settings.max_input_bytes} are accepted",
        )
    fmt = sniff_format(data)
    _check_declared(data, fmt, settings)
    # Pillow checks inside open() too, but only raises above twice its limit; ours is exact.
    Image.MAX_IMAGE_PIXELS = settings.max_pixels
    with _decoder_errors(data, fmt):
        image = Image.open(io.BytesIO(data), formats=PILLOW_FORMATS[fmt])
        _check_limits(image, data, fmt, settings)
        several = fmt in _SEVERAL_IMAGES_WARNING and getattr(image, "is_animated", False)
        plain_png = fmt == "PNG" and _plain_png(image, data)
    still_webp = fmt == "WEBP" and not _animation_flag(data) and image.mode in ("RGB", "RGBA")
    source = SourcePhoto(
        data=data,
        format=fmt,
        image=image,
        orientation=1,
        plain_png=plain_png,
        still_webp=still_webp,
    )
    if several:
        source.warnings.append(_SEVERAL_IMAGES_WARNING[fmt])
    # Only JPEG's orientation is needed to plan its decode; the others' may follow the pixels.
    if fmt == "JPEG":
        source.orientation = read_orientation(image, source.warnings)
    _check_memory(source, settings)
    if fmt != "JPEG":
        decoded_later = plain_png or still_webp
        with _decoder_errors(data, fmt):
            if not decoded_later:
                # PNG may keep its EXIF after the pixels; decoding first lets it be read.
                image.load()
        # A WebP's EXIF chunk is read with its header (Pillow's demuxer), before any pixel.
        source.orientation = read_orientation(image, source.warnings, header_only=decoded_later)
    return source


# Chunks that may carry EXIF or XMP (Pillow reads those after the pixels only by decoding).
_METADATA_CHUNKS = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}


def _chunks_after_pixels(data: bytes) -> set[bytes] | None:
    """The chunk types that follow a PNG's first IDAT, walked by their lengths (a search of the
    bytes took 25 ms on a 2000x2000 cut-out); None when the lengths do not lead to IEND."""
    offset, seen_pixels = 8, False
    after: set[bytes] = set()
    while offset + 8 <= len(data):
        kind = data[offset + 4 : offset + 8]
        if kind == b"IEND":
            return after
        if kind == b"IDAT":
            seen_pixels = True
        elif seen_pixels:
            after.add(kind)
        offset += 12 + int.from_bytes(data[offset : offset + 4], "big")
    return None


def _plain_png(image: Image.Image, data: bytes) -> bool:
    """An 8-bit L, LA, RGB or RGBA PNG without a colour key and with no metadata chunk after
    its pixels: libvips decodes it to exactly what Pillow would, faster, and the header has
    every tag already."""
    if image.mode not in ("L", "LA", "RGB", "RGBA") or "transparency" in image.info:
        return False
    bit_depth = data[24] if len(data) > 24 else 0  # IHDR: 8-byte signature, length, type, w, h
    after = _chunks_after_pixels(data)
    return bit_depth == 8 and after is not None and not after & _METADATA_CHUNKS


def _decode_vips_png(source: SourcePhoto) -> Pixels | None:
    """A plain PNG's pixels as an array (L, LA, RGB or RGBA: height x width x bands, but 2-D for L);
    None when libvips reads the file differently from Pillow's header (Pillow decodes it)."""
    mode = source.image.mode
    decoded = pyvips.Image.pngload_buffer(source.data, fail_on="truncated")
    width, height, bands = decoded.width, decoded.height, decoded.bands
    if (width, height) != source.image.size or bands != len(mode) or decoded.format != "uchar":
        return None
    memory = decoded.write_to_memory()
    pixels: npt.NDArray[np.uint8] = np.ndarray((height, width, bands), np.uint8, memory)
    return pixels[:, :, 0] if mode == "L" else pixels


def _animation_flag(data: bytes) -> bool:
    """The extended (VP8X) header says the file holds an animation, even of one frame."""
    return data[12:16] == b"VP8X" and len(data) > 20 and bool(data[20] & 0x02)


def _decode_libwebp(source: SourcePhoto) -> Pixels | None:
    """A still WebP's pixels as an RGB or RGBA array (the mode Pillow's header gave); None when
    libwebp refuses the file or its bitstream's size is not the canvas Pillow read (Pillow,
    whose rules the limits were checked against, decodes it then)."""
    rgba = source.image.mode == "RGBA"
    mode = webp.WebPColorMode.RGBA if rgba else webp.WebPColorMode.RGB
    try:
        data = webp.WebPData.from_buffer(source.data)
        features = webp.WebPDecoderConfig.new()
        features.read_features(data)  # the bitstream's size, before anything is allocated
        if (features.input.width, features.input.height) != source.image.size:
            return None
        pixels: npt.NDArray[np.uint8] = data.decode(color_mode=mode)
    except webp.WebPError:
        return None
    return pixels


def dct_scaled_size(stored: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """The size to decode a JPEG at: the largest 1/2, 1/4 or 1/8 reduction keeping the margin."""
    for denominator in (8, 4, 2):
        reduced = (stored[0] // denominator, stored[1] // denominator)
        if all(r >= _DCT_MARGIN * t for r, t in zip(reduced, target, strict=True)):
            return reduced
    return stored


def _decode_turbojpeg(source: SourcePhoto, size: tuple[int, int]) -> Pixels | None:
    """Decode at ``size`` (rounded up by libjpeg-turbo); None when the file needs Pillow's tolerance."""
    grey = source.image.mode == "L"
    try:
        pixels: npt.NDArray[np.uint8] = simplejpeg.decode_jpeg(
            source.data,
            colorspace="GRAY" if grey else "RGB",
            min_width=size[0],
            min_height=size[1],
            strict=True,
        )
    except ValueError as exc:
        if "premature end" in str(exc).lower():
            raise reject(Reason.IMAGE_TRUNCATED, f"the JPEG data ends early ({exc})") from exc
        source.warnings.append("the JPEG data has recoverable errors; decoded what was readable")
        return None
    return pixels[:, :, 0] if grey else pixels


def decode_pixels(source: SourcePhoto, stored_target: tuple[int, int]) -> Pixels:
    """The pixels in L, LA, RGB, RGBA or CMYK; JPEGs DCT-scaled towards ``stored_target``.

    Plain JPEGs come back as libjpeg-turbo's array (L or RGB), plain PNGs as libvips' array
    (L, LA, RGB or RGBA), still WebPs as libwebp's (RGB or RGBA), everything else as a
    Pillow image.
    """
    image = source.image
    if source.format == "JPEG":
        size = dct_scaled_size(image.size, stored_target)
        with _decoder_errors(source.data, "JPEG"):
            fast = _decode_turbojpeg(source, size) if image.mode in ("L", "RGB") else None
            if fast is not None:
                return fast
            image.draft(image.mode, size)
            image.load()
        decoded: Image.Image = image
        if decoded.mode == "CMYK" and "adobe" not in image.info:
            decoded = undo_assumed_adobe_inversion(decoded)
        return to_working_mode(decoded)
    with _decoder_errors(source.data, source.format):
        if source.still_webp:
            fast = _decode_libwebp(source)
        else:
            fast = _decode_vips_png(source) if source.plain_png else None
        if fast is not None:
            return fast
        image.load()  # here, where a decoder's failure becomes a rejection with a reason
        return to_working_mode(image)
