"""The one error type services raise, in the google.rpc error model.

Rules modules raise :class:`ServiceError` (or their own exceptions that
``server.py`` turns into one); the shared server interceptor sends it as a
gRPC status whose details hold ``ErrorInfo`` (domain ``factoryfinder``, a
reason from ``ErrorReason`` in errors.proto), plus ``BadRequest``,
``QuotaFailure`` and ``RetryInfo`` when given. This module has no gRPC
import; ``shared/grpc_errors.py`` does the wire conversion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from factoryfinder.v1 import errors_pb2

DOMAIN = "factoryfinder"
_PREFIX = "ERROR_REASON_"

#: Every valid ErrorInfo.reason, from errors.proto (the one list of reasons).
REASONS: frozenset[str] = frozenset(
    name.removeprefix(_PREFIX)
    for name in errors_pb2.ErrorReason.keys()  # noqa: SIM118 - protobuf enum wrapper
    if name != f"{_PREFIX}UNSPECIFIED"
)


class Code(StrEnum):
    """gRPC status codes by name (so rules need not import grpc)."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    NOT_FOUND = "NOT_FOUND"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAVAILABLE = "UNAVAILABLE"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    CANCELLED = "CANCELLED"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class FieldViolation:
    """A ``google.rpc.BadRequest.FieldViolation``: which field, and what is wrong."""

    field: str
    description: str


@dataclass(frozen=True)
class QuotaViolation:
    """A ``google.rpc.QuotaFailure.Violation``: which budget, and why."""

    subject: str
    description: str


@dataclass
class ServiceError(Exception):
    """An error with everything a caller needs to act on it."""

    code: Code
    reason: str
    message: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    field_violations: Sequence[FieldViolation] = ()
    quota_violations: Sequence[QuotaViolation] = ()
    retry_after_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown error reason {self.reason!r}: add it to errors.proto")
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}"


def invalid_argument(reason: str, message: str, *violations: FieldViolation) -> ServiceError:
    """INVALID_ARGUMENT with field violations (the usual bad-request shape)."""
    return ServiceError(Code.INVALID_ARGUMENT, reason, message, field_violations=violations)
