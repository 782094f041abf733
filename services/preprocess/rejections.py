"""Why a photo is refused, as a domain exception with stable reasons.

The reasons are ErrorReason names from errors.proto; ``server.py`` turns an
:class:`ImageRejected` into INVALID_ARGUMENT (UNAVAILABLE for a failed fetch)
with a ``BadRequest`` field violation and an ``ErrorInfo``.
"""

from __future__ import annotations

from enum import StrEnum

IMAGE_FIELD = "photo.image_data"
URL_FIELD = "photo.image_url"


class Reason(StrEnum):
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    IMAGE_TOO_MANY_PIXELS = "IMAGE_TOO_MANY_PIXELS"
    IMAGE_TRUNCATED = "IMAGE_TRUNCATED"
    IMAGE_CORRUPT = "IMAGE_CORRUPT"
    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    IMAGE_FORMAT_UNSUPPORTED = "IMAGE_FORMAT_UNSUPPORTED"
    IMAGE_TOO_SMALL = "IMAGE_TOO_SMALL"
    IMAGE_URL_FORBIDDEN = "IMAGE_URL_FORBIDDEN"
    IMAGE_FETCH_FAILED = "IMAGE_FETCH_FAILED"


class ImageRejected(Exception):
    """The photo cannot be prepared; ``reason`` says why, ``field`` which request field."""

    def __init__(self, reason: str, field: str, message: str) -> None:
        # All three go to Exception.args so the exception pickles across worker processes.
        super().__init__(reason, field, message)
        self.reason = reason
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason} ({self.field}): {self.message}"

    def for_field(self, field: str) -> ImageRejected:
        """The same rejection, attributed to another request field (a fetched URL)."""
        return ImageRejected(self.reason, field, self.message)


def reject(reason: Reason, message: str) -> ImageRejected:
    """A rejection of the uploaded bytes."""
    return ImageRejected(reason.value, IMAGE_FIELD, message)
