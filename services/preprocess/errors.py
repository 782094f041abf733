"""Why a photo is refused, as a domain exception with stable reasons, and its rich status.

The reasons are ErrorReason names from errors.proto. The server's ``map_error``
(:func:`to_service_error`) turns an :class:`ImageRejected` into INVALID_ARGUMENT
(UNAVAILABLE for a failed fetch) with a ``BadRequest`` field violation and an ``ErrorInfo``.
Plain functions, no gRPC.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.errors import ServiceError

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


def rejection_error(rejected: ImageRejected) -> ServiceError:
    """The rich status for a refused photo: which field, and a reason callers can switch on."""
    # Imported here: the worker processes import this module for ImageRejected and stay
    # free of protobuf (shared.errors loads the generated messages).
    from shared.errors import Code, FieldViolation, ServiceError

    code = (
        Code.UNAVAILABLE if rejected.reason == Reason.IMAGE_FETCH_FAILED else Code.INVALID_ARGUMENT
    )
    return ServiceError(
        code,
        rejected.reason,
        rejected.message,
        field_violations=(FieldViolation(rejected.field, rejected.message),),
    )


def to_service_error(exc: Exception) -> ServiceError | None:
    """Preprocess's domain exceptions as rich statuses (the server's ``map_error``)."""
    if isinstance(exc, ImageRejected):
        return rejection_error(exc)
    # Only the server process compares images; the workers never load the comparator.
    from services.preprocess.visual_similarity import UnreadableImage
    from shared.errors import FieldViolation, invalid_argument

    if isinstance(exc, UnreadableImage):
        # Only CompareImages' query photo reaches here unread: a candidate's unreadable
        # image is reported on its own comparison, not as the call's failure.
        return invalid_argument(
            Reason.NOT_AN_IMAGE.value,
            f"query_jpeg is not an image: {exc}",
            FieldViolation("query_jpeg", "the prepared photo (PreparedImage.jpeg)"),
        )
    return None
