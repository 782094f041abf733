"""EXIF orientation (1-8): read it safely and turn the pixels the way the camera meant.

Phones store the sensor's landscape pixels and a tag saying how to turn them;
ignoring the tag sends a portrait photo sideways.
"""

from __future__ import annotations

from PIL import ExifTags, Image

_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def read_orientation(image: Image.Image, warnings: list[str], header_only: bool = False) -> int:
    """The EXIF (or XMP) orientation, 1 when absent; unreadable or invalid tags warn and give 1.

    ``header_only``: the tags read with the header are all there are (Pillow's PNG reader
    would otherwise decode every pixel to look for tags after them).
    """
    try:
        exif = Image.Image.getexif(image) if header_only else image.getexif()
        value = exif.get(ExifTags.Base.Orientation, 1)
    except Exception:  # any damage in untrusted EXIF only costs the tag
        warnings.append("EXIF metadata unreadable: orientation not applied")
        return 1
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    warnings.append(f"invalid EXIF orientation {value!r} ignored")
    return 1


def swaps_axes(orientation: int) -> bool:
    """Orientations 5-8 turn the image by 90 degrees: width and height trade places."""
    return orientation >= 5


def to_stored(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """A size seen upright, expressed in the stored (unturned) pixels' axes; also the inverse."""
    return (size[1], size[0]) if swaps_axes(orientation) else size


def apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    """The upright image."""
    method = _TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)
