"""Domain errors → gRPC codes, ErrorInfo reasons, QuotaFailure and RetryInfo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factoryfinder.v1 import common_pb2

from services.gateway.errors import to_service_error
from services.gateway.offers.details import DetailUnavailable
from services.gateway.search.request import InvalidSearch
from services.gateway.upstream import errors as upstream
from services.gateway.upstream.errors import QuotaExhausted
from shared.errors import REASONS, Code

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_app_quota_exhausted_has_quota_failure_and_retry_info() -> None:
    resets_at = datetime.now(UTC) + timedelta(hours=4)
    exc = QuotaExhausted("product.search.imageQuery", None, 50, 50, resets_at)
    error = to_service_error(exc)
    assert error is not None
    assert error.code == Code.RESOURCE_EXHAUSTED
    assert error.reason == "QUOTA_EXHAUSTED"
    assert [v.subject for v in error.quota_violations] == ["app:product.search.imageQuery"]
    assert error.retry_after_seconds is not None
    assert error.retry_after_seconds == pytest.approx(4 * 3600, abs=60)


def test_tenant_quota_exhausted() -> None:
    exc = QuotaExhausted("product.search.imageQuery", "acme", 5, 5, NOW + timedelta(hours=1))
    error = to_service_error(exc)
    assert error is not None
    assert error.reason == "TENANT_QUOTA_EXHAUSTED"
    assert error.quota_violations[0].subject == "tenant:acme:product.search.imageQuery"


@pytest.mark.parametrize(
    ("reason", "code", "retry"),
    [
        (upstream.TOKEN_EXPIRED, Code.UNAVAILABLE, False),
        (upstream.SIGNATURE_INVALID, Code.INTERNAL, False),
        (upstream.ACL_DECLINED, Code.FAILED_PRECONDITION, False),
        (upstream.API_UNSUPPORTED, Code.INTERNAL, False),
        (upstream.PARAM_MISSING, Code.INTERNAL, False),
        (upstream.IMAGE_REJECTED, Code.INVALID_ARGUMENT, False),
        (upstream.UNAVAILABLE, Code.UNAVAILABLE, False),
        (upstream.MALFORMED, Code.UNAVAILABLE, False),
        (upstream.RATE_LIMITED, Code.UNAVAILABLE, True),
        (upstream.QUOTA_EXHAUSTED, Code.RESOURCE_EXHAUSTED, True),
        (upstream.REQUEST_INVALID, Code.INTERNAL, False),
        (upstream.OFFER_NOT_FOUND, Code.NOT_FOUND, False),
        (upstream.CIRCUIT_OPEN, Code.UNAVAILABLE, True),
        (upstream.DEADLINE_EXCEEDED, Code.DEADLINE_EXCEEDED, False),
    ],
)
def test_every_upstream_reason_is_a_known_reason_with_its_code(
    reason: str, code: Code, retry: bool
) -> None:
    assert reason in REASONS
    exc = upstream.UpstreamError(
        reason, "x", api="product.search.imageQuery", upstream_code="c", retry_after=3.0
    )
    error = to_service_error(exc)
    assert error is not None
    assert (error.code, error.reason) == (code, reason)
    assert error.metadata["api"] == "product.search.imageQuery"
    assert error.metadata["upstream_code"] == "c"
    assert (error.retry_after_seconds is not None) is retry


def test_no_usage_left_waits_for_the_reset() -> None:
    exc = upstream.UpstreamError(upstream.QUOTA_EXHAUSTED, "x", api="a", retry_after=None)
    error = to_service_error(exc)
    assert error is not None
    assert error.retry_after_seconds is not None and error.retry_after_seconds > 0
    assert error.quota_violations


def test_image_rejection_carries_the_upstream_message() -> None:
    exc = upstream.UpstreamError(
        upstream.IMAGE_REJECTED, "x", api="product.image.upload", upstream_message="too large"
    )
    error = to_service_error(exc)
    assert error is not None
    assert error.metadata["upstream_message"] == "too large"


def test_invalid_search_names_the_field() -> None:
    error = to_service_error(InvalidSearch("page_size", "too big"))
    assert error is not None
    assert (error.code, error.reason) == (Code.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert error.field_violations[0].field == "page_size"
    token_error = to_service_error(InvalidSearch("page_token", "bad", page_token=True))
    assert token_error is not None and token_error.reason == "INVALID_PAGE_TOKEN"


def test_detail_unavailable_for_acl_is_failed_precondition() -> None:
    cause = upstream.UpstreamError(upstream.ACL_DECLINED, "x", api="alibaba.product.get")
    error = to_service_error(
        DetailUnavailable(common_pb2.DETAIL_STATUS_ACL_DECLINED, "no permission", cause)
    )
    assert error is not None
    assert (error.code, error.reason) == (Code.FAILED_PRECONDITION, "DETAIL_UNAVAILABLE")
    assert error.metadata["detail_status"] == "ACL_DECLINED"


def test_detail_not_found() -> None:
    cause = upstream.UpstreamError(upstream.OFFER_NOT_FOUND, "x", api="alibaba.product.get")
    error = to_service_error(DetailUnavailable(common_pb2.DETAIL_STATUS_NOT_FOUND, "gone", cause))
    assert error is not None
    assert (error.code, error.reason) == (Code.NOT_FOUND, "OFFER_NOT_FOUND")


def test_detail_upstream_failure_keeps_the_upstream_reason() -> None:
    cause = upstream.UpstreamError(upstream.CIRCUIT_OPEN, "x", api="a", retry_after=5)
    error = to_service_error(
        DetailUnavailable(common_pb2.DETAIL_STATUS_UPSTREAM_FAILED, "failed", cause)
    )
    assert error is not None
    assert error.reason == "CIRCUIT_OPEN"
    assert error.retry_after_seconds == 5


def test_other_exceptions_are_not_mapped() -> None:
    assert to_service_error(RuntimeError("bug")) is None
