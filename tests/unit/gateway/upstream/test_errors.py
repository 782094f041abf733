"""Reading 1688's error replies: the code and text wherever a body puts them, else the status."""

from __future__ import annotations

from typing import Any

import pytest

from services.gateway.upstream import errors

API = "product.search.imageQuery"
UPLOAD = "product.image.upload"


@pytest.mark.parametrize(
    ("status", "body", "reason", "code", "message"),
    [
        (400, {"code": "gw.APIACLDecline", "message": "AppKey is not allowed(acl)"},
         errors.ACL_DECLINED, "gw.APIACLDecline", "AppKey is not allowed(acl)"),
        (400, {"errorCode": "gw.ParamMissing", "errorMsg": "Required argument offerId"},
         errors.PARAM_MISSING, "gw.ParamMissing", "Required argument offerId"),
        (200, {"error_code": "gw.QosAppFrequencyLimit", "msg": "App call exceeds limited frequency"},
         errors.RATE_LIMITED, "gw.QosAppFrequencyLimit", "App call exceeds limited frequency"),
        (200, {"error_message": "Request need user authorized"},
         errors.REQUEST_INVALID, "", "Request need user authorized"),
        (429, None, errors.RATE_LIMITED, "", "HTTP 429"),
        (401, None, errors.TOKEN_EXPIRED, "", "HTTP 401"),
        (408, None, errors.UNAVAILABLE, "", "HTTP 408"),
        (403, None, errors.REQUEST_INVALID, "", "HTTP 403"),
        (502, {"message": "bad gateway"}, errors.UNAVAILABLE, "", "bad gateway"),
    ],
)  # fmt: skip
def test_error_replies(status: int, body: Any, reason: str, code: str, message: str) -> None:
    error = errors.classify(API, status, body)
    assert error is not None
    assert (error.reason, error.upstream_code, error.upstream_message) == (reason, code, message)
    assert error.transient == (reason in (errors.RATE_LIMITED, errors.UNAVAILABLE))


@pytest.mark.parametrize(
    "body",
    [
        {"error_code": None, "error_message": None, "result": {"success": True}},
        {"errorCode": "", "errorMessage": "", "success": True, "data": {}},
        {"code": "gw.APIACLDecline"},  # a 200 without error_code: the envelope decides
    ],
)
def test_a_success_with_empty_error_fields_is_no_error(body: Any) -> None:
    assert errors.classify(API, 200, body) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("gw.QosAppFrequencyLimit", errors.RATE_LIMITED),
        ("gw.NoUsageLeftError", errors.QUOTA_EXHAUSTED),
        ("401", errors.TOKEN_EXPIRED),
        ("400", errors.IMAGE_REJECTED),
    ],
)
def test_a_gateway_code_inside_an_uploads_refusal_is_not_an_image_rejection(
    code: str, reason: str
) -> None:
    error = errors.business_error(UPLOAD, code, "refused", image_api=True)
    assert error.reason == reason
