"""A request the ranking rules cannot work with, and its status.

:func:`to_service_error` (the server's ``map_error``) makes it INVALID_ARGUMENT with
ErrorInfo (UNKNOWN_REGION lists the known names in ``metadata["known"]``) and BadRequest
naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.errors import Code, FieldViolation, ServiceError


class InvalidRequest(ValueError):
    """A request the rules cannot work with; ``reason`` is an ErrorReason name."""

    def __init__(
        self,
        field_name: str,
        message: str,
        reason: str = "INVALID_REQUEST",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message
        self.reason = reason
        self.metadata: Mapping[str, str] = dict(metadata or {})


def to_service_error(exc: Exception) -> ServiceError | None:
    """A bad request as INVALID_ARGUMENT with its field (the server's ``map_error``)."""
    if not isinstance(exc, InvalidRequest):
        return None
    return ServiceError(
        Code.INVALID_ARGUMENT,
        exc.reason,
        exc.message,
        metadata=exc.metadata,
        field_violations=[FieldViolation(exc.field_name, exc.message)],
    )
