"""ServiceError <-> gRPC status with google.rpc details.

Outgoing: :func:`to_status` builds the ``grpc.Status`` a server aborts with.
Incoming: :func:`from_rpc_error` turns a downstream ``grpc.aio.AioRpcError``
back into a ServiceError with its reason and details intact, so the
aggregator passes errors on without losing anything.
"""

from __future__ import annotations

from typing import cast

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from shared.errors import (
    DOMAIN,
    REASONS,
    Code,
    FieldViolation,
    QuotaViolation,
    ServiceError,
)


def to_status_proto(error: ServiceError) -> status_pb2.Status:
    """The ``google.rpc.Status`` for ``error`` (also used inside batch/verify results)."""
    code_value = getattr(grpc.StatusCode, error.code.value).value[0]
    status = status_pb2.Status(code=code_value, message=error.message)
    info = error_details_pb2.ErrorInfo(
        reason=error.reason, domain=DOMAIN, metadata=dict(error.metadata)
    )
    status.details.add().Pack(info)
    if error.field_violations:
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in error.field_violations
            ]
        )
        status.details.add().Pack(bad)
    if error.quota_violations:
        quota = error_details_pb2.QuotaFailure(
            violations=[
                error_details_pb2.QuotaFailure.Violation(
                    subject=v.subject, description=v.description
                )
                for v in error.quota_violations
            ]
        )
        status.details.add().Pack(quota)
    if error.retry_after_seconds is not None:
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(max(0, round(error.retry_after_seconds * 1000)))
        status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    return status


def to_status(error: ServiceError) -> grpc.Status:
    return rpc_status.to_status(to_status_proto(error))


_CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def from_status_proto(status: status_pb2.Status) -> ServiceError:
    """Rebuild a ServiceError from a ``google.rpc.Status`` (inverse of :func:`to_status_proto`)."""
    grpc_code = _CODE_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    code = Code(grpc_code.name) if grpc_code.name in Code.__members__ else Code.INTERNAL
    reason = "INTERNAL"
    metadata: dict[str, str] = {}
    fields: list[FieldViolation] = []
    quotas: list[QuotaViolation] = []
    retry: float | None = None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        quota = error_details_pb2.QuotaFailure()
        retry_info = error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            reason = info.reason if info.reason in REASONS else reason
            metadata = dict(info.metadata)
        elif detail.Unpack(bad):
            fields = [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif detail.Unpack(quota):
            quotas = [QuotaViolation(v.subject, v.description) for v in quota.violations]
        elif detail.Unpack(retry_info):
            retry = retry_info.retry_delay.ToMilliseconds() / 1000
    return ServiceError(code, reason, status.message, metadata, fields, quotas, retry)


def status_of(error: grpc.aio.AioRpcError) -> status_pb2.Status | None:
    """The ``google.rpc.Status`` a failed call carries in its trailers, if any."""
    # rpc_status.from_call reads only code(), details() and trailing_metadata(), which an
    # AioRpcError has too; its stubs ask for a sync grpc.Call.
    status: status_pb2.Status | None = rpc_status.from_call(cast(grpc.Call, error))
    return status


def from_rpc_error(error: grpc.aio.AioRpcError, service: str) -> ServiceError:
    """A downstream failure as a ServiceError, keeping its reason and details.

    A failure without our details (the service is down, a deadline passed in
    transit) gets a reason that says which service and what happened.
    """
    status = status_of(error)
    if status is not None:
        return from_status_proto(status)
    code = error.code()
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return ServiceError(
            Code.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", f"{service}: deadline exceeded"
        )
    if code == grpc.StatusCode.CANCELLED:
        return ServiceError(Code.CANCELLED, "INTERNAL", f"{service}: call cancelled")
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ServiceError(
            Code.RESOURCE_EXHAUSTED, "MESSAGE_TOO_LARGE", f"{service}: {error.details()}"
        )
    return ServiceError(
        Code.UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
        f"{service} is unavailable: {error.details() or code.name}",
        metadata={"service": service, "grpc_code": code.name},
    )
