"""The gateway's domain exceptions as rich statuses (the server's ``map_error``).

Plain functions, no gRPC: each names the status code, the ErrorReason and the details
(QuotaFailure, RetryInfo, metadata) a caller needs to act on the failure.
"""

from __future__ import annotations

from datetime import UTC, datetime

from factoryfinder.v1 import common_pb2

from services.gateway.offers.details import DetailUnavailable
from services.gateway.search.request import InvalidSearch
from services.gateway.upstream import errors as upstream
from services.gateway.upstream.errors import QuotaExhausted, UpstreamError
from shared.china_time import next_reset
from shared.errors import Code, FieldViolation, QuotaViolation, ServiceError

# reason -> gRPC code, for upstream failures (errors.proto documents each pairing).
_UPSTREAM_CODES = {
    upstream.TOKEN_EXPIRED: Code.UNAVAILABLE,
    upstream.SIGNATURE_INVALID: Code.INTERNAL,
    upstream.ACL_DECLINED: Code.FAILED_PRECONDITION,
    upstream.API_UNSUPPORTED: Code.INTERNAL,
    upstream.PARAM_MISSING: Code.INTERNAL,
    upstream.IMAGE_REJECTED: Code.INVALID_ARGUMENT,
    upstream.UNAVAILABLE: Code.UNAVAILABLE,
    upstream.MALFORMED: Code.UNAVAILABLE,
    upstream.RATE_LIMITED: Code.UNAVAILABLE,
    upstream.QUOTA_EXHAUSTED: Code.RESOURCE_EXHAUSTED,
    upstream.REQUEST_INVALID: Code.INTERNAL,
    upstream.OFFER_NOT_FOUND: Code.NOT_FOUND,
    upstream.CIRCUIT_OPEN: Code.UNAVAILABLE,
    upstream.DEADLINE_EXCEEDED: Code.DEADLINE_EXCEEDED,
}


def quota_error(exc: QuotaExhausted, now: datetime | None = None) -> ServiceError:
    moment = now or datetime.now(UTC)
    who = f"tenant:{exc.tenant}" if exc.tenant is not None else "app"
    return ServiceError(
        Code.RESOURCE_EXHAUSTED,
        "TENANT_QUOTA_EXHAUSTED" if exc.tenant is not None else "QUOTA_EXHAUSTED",
        str(exc),
        metadata={"api": exc.api, "limit": str(exc.limit), "resets_at": exc.resets_at.isoformat()},
        quota_violations=[
            QuotaViolation(f"{who}:{exc.api}", f"{exc.used} of {exc.limit} daily calls used")
        ],
        retry_after_seconds=max(0.0, (exc.resets_at - moment).total_seconds()),
    )


def upstream_error(exc: UpstreamError, now: datetime | None = None) -> ServiceError:
    metadata = {"api": exc.api}
    if exc.upstream_code:
        metadata["upstream_code"] = exc.upstream_code
    if exc.reason == upstream.IMAGE_REJECTED:
        metadata["upstream_message"] = exc.upstream_message or str(exc)
    retry = exc.retry_after
    quotas: list[QuotaViolation] = []
    if exc.reason == upstream.QUOTA_EXHAUSTED:
        moment = now or datetime.now(UTC)
        retry = (next_reset(moment) - moment).total_seconds()
        quotas = [QuotaViolation(f"app:{exc.api}", "the upstream says no paid usage is left")]
    return ServiceError(
        _UPSTREAM_CODES.get(exc.reason, Code.UNAVAILABLE),
        exc.reason,
        str(exc),
        metadata=metadata,
        quota_violations=quotas,
        retry_after_seconds=retry
        if exc.reason in (upstream.RATE_LIMITED, upstream.CIRCUIT_OPEN, upstream.QUOTA_EXHAUSTED)
        else None,
    )


def invalid_search(exc: InvalidSearch) -> ServiceError:
    reason = "INVALID_PAGE_TOKEN" if exc.page_token else "INVALID_REQUEST"
    return ServiceError(
        Code.INVALID_ARGUMENT,
        reason,
        str(exc),
        field_violations=[FieldViolation(exc.field, str(exc))],
    )


def detail_error(exc: DetailUnavailable) -> ServiceError:
    if isinstance(exc.cause, QuotaExhausted):
        return quota_error(exc.cause)
    if exc.status == common_pb2.DETAIL_STATUS_NOT_FOUND:
        return ServiceError(Code.NOT_FOUND, "OFFER_NOT_FOUND", exc.reason)
    if exc.status == common_pb2.DETAIL_STATUS_UPSTREAM_FAILED and isinstance(
        exc.cause, UpstreamError
    ):
        return upstream_error(exc.cause)
    status_name = common_pb2.DetailStatus.Name(exc.status)
    return ServiceError(
        Code.FAILED_PRECONDITION,
        "DETAIL_UNAVAILABLE",
        exc.reason,
        metadata={"detail_status": status_name.removeprefix("DETAIL_STATUS_")},
    )


def to_service_error(exc: Exception) -> ServiceError | None:
    """The gateway's domain exceptions as rich statuses (the server's ``map_error``)."""
    if isinstance(exc, QuotaExhausted):
        return quota_error(exc)
    if isinstance(exc, UpstreamError):
        return upstream_error(exc)
    if isinstance(exc, InvalidSearch):
        return invalid_search(exc)
    if isinstance(exc, DetailUnavailable):
        return detail_error(exc)
    return None
