"""Colours made sRGB: embedded ICC profiles converted, CMYK turned into RGB.

The upstream (and every browser showing the result) assumes sRGB; a Display
P3 phone photo or an Adobe RGB studio shot looks dull if its profile is
dropped, and a CMYK print file looks wrong if its channels are read as RGB.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageChops, ImageCms

_SRGB = ImageCms.createProfile("sRGB")
_PROFILE_SPACE = {"RGB": "RGB ", "CMYK": "CMYK"}


class _UnusableProfile(Exception):
    pass


@lru_cache(maxsize=32)
def _transform_to_srgb(icc: bytes, mode: str) -> tuple[ImageCms.ImageCmsTransform | None, str]:
    """The transform for ``mode`` pixels tagged with ``icc`` (None when already sRGB), and its name."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(profile).strip() or "unnamed profile"
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError) as exc:
        raise _UnusableProfile("colour profile unreadable: assumed sRGB") from exc
    if profile.profile.xcolor_space != _PROFILE_SPACE[mode]:
        raise _UnusableProfile(f"colour profile {description!r} does not match the {mode} pixels")
    if mode == "RGB" and "srgb" in description.lower():
        return None, description
    try:
        transform = ImageCms.buildTransform(
            profile, _SRGB, mode, "RGB", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC
        )
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        raise _UnusableProfile(f"colour profile {description!r} unusable: assumed sRGB") from exc
    return transform, description


def to_srgb(
    image: Image.Image, icc: bytes | None, steps: list[str], warnings: list[str]
) -> Image.Image:
    """An RGB (or untouched L) image in sRGB; CMYK uses its profile, else the usual inversion."""
    if image.mode not in _PROFILE_SPACE:
        return image
    transform = None
    if icc:
        try:
            transform, description = _transform_to_srgb(icc, image.mode)
        except _UnusableProfile as exc:
            warnings.append(str(exc))
        else:
            if transform is not None:
                steps.append("icc_to_srgb")
                warnings.append(f"colour profile converted ({description} to sRGB)")
    if transform is not None:
        return transform.apply(image)
    if image.mode == "CMYK":
        steps.append("cmyk_to_rgb")
        return image.convert("RGB")
    return image


def undo_assumed_adobe_inversion(image: Image.Image) -> Image.Image:
    """CMYK JPEG pixels read as if inverted (Pillow always assumes Photoshop's convention).

    Only files with an Adobe APP14 marker store inverted CMYK; for the others
    Pillow's inversion must be undone, as libjpeg's and libvips' readers do.
    """
    return ImageChops.invert(image)
