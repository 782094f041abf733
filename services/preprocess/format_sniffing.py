"""Which image format some bytes are, from their signature, before any decoder sees them.

Decoders are only ever handed the format the signature names, so a file
cannot talk its way into a plugin we did not choose (PSD, EPS, ICO ...).
Recognised formats we do not accept are told apart from bytes that are not an
image at all, so callers get IMAGE_FORMAT_UNSUPPORTED instead of NOT_AN_IMAGE.
"""

from __future__ import annotations

from services.preprocess.errors import Reason, reject

# Our name for each accepted format -> the Pillow plugin names allowed to open it.
PILLOW_FORMATS: dict[str, tuple[str, ...]] = {
    "JPEG": ("JPEG", "MPO"),
    "PNG": ("PNG",),
    "WEBP": ("WEBP",),
    "GIF": ("GIF",),
    "BMP": ("BMP",),
    "TIFF": ("TIFF",),
    "HEIF": ("HEIF",),
    "AVIF": ("AVIF",),
}

_HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
}
_AVIF_BRANDS = {b"avif", b"avis"}

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),  # BigTIFF
    (b"MM\x00+", "TIFF"),
]

# Formats people do send that we refuse, with the name we tell them.
_UNSUPPORTED: list[tuple[bytes, str]] = [
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"8BPS", "Photoshop PSD"),
    (b"%PDF", "PDF"),
    (b"%!PS", "PostScript"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x02\x00", "CUR"),
    (b"DDS ", "DDS"),
    (b"qoif", "QOI"),
    (b"v/1\x01", "OpenEXR"),
    (b"#?RADIANCE", "Radiance HDR"),
    (b"\x49\x49\xbc", "JPEG XR"),
]


def _iso_brands(head: bytes) -> set[bytes]:
    """Major and compatible brands of an ISO base media file (HEIF, AVIF, MP4 ...)."""
    if head[4:8] != b"ftyp":
        return set()
    box_size = int.from_bytes(head[0:4], "big")
    end = min(len(head), max(box_size, 16))
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    return brands


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text)


def sniff_format(data: bytes) -> str:
    """Our name for the format of ``data``, or :class:`ImageRejected` saying why not."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    brands = _iso_brands(head)
    # AVIF files list HEIF's generic brands (mif1, msf1) too; an HEVC brand makes it HEIF.
    if brands & _AVIF_BRANDS and not brands & (_HEIF_BRANDS - {b"mif1", b"msf1"}):
        return "AVIF"
    if brands & _HEIF_BRANDS:
        return "HEIF"
    for signature, name in _UNSUPPORTED:
        if head.startswith(signature):
            raise reject(Reason.IMAGE_FORMAT_UNSUPPORTED, f"{name} images are not supported")
    if _looks_like_svg(data[:1024]):
        raise reject(Reason.IMAGE_FORMAT_UNSUPPORTED, "SVG images are not supported")
    if not data:
        raise reject(Reason.NOT_AN_IMAGE, "the photo is empty")
    raise reject(
        Reason.NOT_AN_IMAGE,
        "the bytes are not a JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC/HEIF or AVIF image",
    )
