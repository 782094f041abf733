"""The error bodies the sandbox answers with, exactly.

Gateway errors (HTTP 400, 401 for token problems) are flat
``{"error_code", "error_message"[, "exception"]}`` with ``error_code`` a
string, word for word as captured from the live gateway
(``../../shared/real-1688/error__*.json``): ``gw.APIACLDecline`` "AppKey is
not allowed(acl)" (no ``exception``), ``gw.NoUsageLeftError`` "SLA bill has
no usage left" (with ``exception``), ``gw.ParamMissing`` "Required argument
NAME" (no ``exception``), ``gw.QosAppFrequencyLimit`` "App call exceeds
limited frequency" (no ``exception``), ``"401"`` "Request need user
authorized" (with ``exception``). The other codes (signature, timestamp,
unknown app key, unsupported API) were not captured: the sandbox's wording,
same flat shape, with ``exception``. OAuth endpoints answer in the OAuth 2
style ``{"error", "error_description"}`` [?]. Business errors of the newer
APIs come with HTTP 200 as ``{"result": {"success": false, "code",
"message"}}`` (the curated-pool refusal of ``queryProductDetail``:
``"message": "offerId:N 不是精选货源商品"``); ``alibaba.product.get`` uses its
older ``{"success": false, "errorCode", "errorMsg"}`` shape.
"""

from __future__ import annotations

from typing import Any

Body = dict[str, Any]


class GatewayError(Exception):
    """A refusal by the gateway itself: HTTP status plus JSON body."""

    def __init__(
        self, status: int, code: str, message: str, exception: str | None = "", *, order: str = ""
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        # "" = the message again; None = no ``exception`` key (as captured for some codes).
        self.exception = message if exception == "" else exception
        self.order = order

    def body(self) -> Body:
        body: Body = {"error_code": self.code, "error_message": self.message}
        if self.exception is not None:
            body["exception"] = self.exception
        if self.order == "message_first":
            # gw.NoUsageLeftError was captured with its keys in this order.
            return {"error_message": self.message, "exception": self.exception, **body}
        return body


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


def acl_decline() -> GatewayError:
    return GatewayError(400, "gw.APIACLDecline", "AppKey is not allowed(acl)", None)


def api_unsupported(api: str) -> GatewayError:
    return GatewayError(400, "gw.APIUnsupported", f"The API is not supported: {api}")


def signature_invalid() -> GatewayError:
    return GatewayError(400, "gw.SignatureInvalid", "Signature is invalid.")


def signature_missing() -> GatewayError:
    return GatewayError(400, "gw.SignatureMissing", "Signature is missing.")


def param_missing(name: str) -> GatewayError:
    return GatewayError(400, "gw.ParamMissing", f"Required argument {name}", None)


def frequency_limit() -> GatewayError:
    return GatewayError(400, "gw.QosAppFrequencyLimit", "App call exceeds limited frequency", None)


def no_usage_left() -> GatewayError:
    return GatewayError(
        400, "gw.NoUsageLeftError", "SLA bill has no usage left", order="message_first"
    )


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


def not_in_curated_pool(offer_id: int) -> Body:
    """queryProductDetail's refusal of an offer outside the curated pool (HTTP 200).

    The message is verbatim as live calls return it; the code was not captured
    (the sandbox sends "500"); ``success`` is the boolean false clients test.
    """
    return business_failure("500", f"offerId:{offer_id} 不是精选货源商品", False)


def product_get_failure(code: str, message: str, success: bool | str = False) -> Body:
    """``alibaba.product.get``'s business error (HTTP 200)."""
    return {"success": success, "errorCode": code, "errorMsg": message}
