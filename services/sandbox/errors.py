"""The error bodies the sandbox answers with, exactly.

Gateway errors (HTTP 400/401) have the body
``{"error_code", "error_message", "exception", "request_id"}``, as the
protocol note's table lists them; clients should key on ``error_code`` (the
message texts are the sandbox's wording). OAuth endpoints answer in the
OAuth 2 style ``{"error", "error_description"}`` [?]. Business errors of the
newer APIs come with HTTP 200 as ``{"result": {"success": false, "code",
"message"}}``; ``alibaba.product.get`` uses its older
``{"success": false, "errorCode", "errorMsg"}`` shape.
"""

from __future__ import annotations

from typing import Any

Body = dict[str, Any]


class GatewayError(Exception):
    """A refusal by the gateway itself: HTTP status plus JSON body."""

    def __init__(self, status: int, code: str, message: str, exception: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.exception = exception if exception is not None else message

    def body(self, request_id: str) -> Body:
        return {
            "error_code": self.code,
            "error_message": self.message,
            "exception": self.exception,
            "request_id": request_id,
        }


class OAuthError(Exception):
    """A refusal of an OAuth call (getToken / postponeToken)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> Body:
        return {"error": self.error, "error_description": self.description}


def _validate(message: str) -> GatewayError:
    return GatewayError(400, "400", message, f"RequestValidateException: {message}")


def need_authorization() -> GatewayError:
    return GatewayError(401, "401", "Request need user authorized")


def acl_decline(api: str) -> GatewayError:
    return GatewayError(400, "gw.APIACLDecline", f"App has no permission to call the API: {api}")


def api_unsupported(api: str) -> GatewayError:
    return GatewayError(400, "gw.APIUnsupported", f"The API is not supported: {api}")


def signature_invalid() -> GatewayError:
    return GatewayError(400, "gw.SignatureInvalid", "Signature is invalid.")


def signature_missing() -> GatewayError:
    return GatewayError(400, "gw.SignatureMissing", "Signature is missing.")


def param_missing(name: str) -> GatewayError:
    return GatewayError(400, "gw.ParamMissing", f"Required parameter is missing: {name}")


def frequency_limit() -> GatewayError:
    return GatewayError(400, "gw.QosAppFrequencyLimit", "App call frequency exceeds the limit.")


def no_usage_left() -> GatewayError:
    return GatewayError(400, "gw.NoUsageLeftError", "SLA bill has no usage left")


def request_expired() -> GatewayError:
    return _validate("Request is expired.")


def timestamp_missing() -> GatewayError:
    return _validate("Request timestamp is missing.")


def unknown_app_key(app_key: str) -> GatewayError:
    return _validate(f"AppKey is not exist: {app_key}")


def app_key_missing() -> GatewayError:
    return _validate("AppKey is missing: it must be the last segment of the url path.")


def business_failure(code: str, message: str, success: bool | str = False) -> Body:
    """The newer APIs' business error (HTTP 200); ``success`` is false or "false"."""
    return {"result": {"success": success, "code": code, "message": message}}


def product_get_failure(code: str, message: str, success: bool | str = False) -> Body:
    """``alibaba.product.get``'s business error (HTTP 200)."""
    return {"success": success, "errorCode": code, "errorMsg": message}
