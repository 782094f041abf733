"""What went wrong talking to 1688, as one exception with a stable reason.

``reason`` is an ErrorReason name from errors.proto (without the prefix), so
server.py maps it to a gRPC status without guessing. ``transient`` says
whether trying again may help; ``reached`` whether the request may have
reached the upstream (if not, its quota unit is refunded).

:func:`classify` reads a 1688 reply (HTTP status + decoded body) and returns
the error it describes, or None for a success. Upstream messages are kept
short and scrubbed of secrets before they go anywhere.

:class:`QuotaExhausted` and :class:`RateLimitTimeout` are the gateway refusing to
spend an upstream call itself (quota or rate limits); server.py maps them to
RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

TOKEN_EXPIRED = "UPSTREAM_TOKEN_EXPIRED"
SIGNATURE_INVALID = "UPSTREAM_SIGNATURE_INVALID"
ACL_DECLINED = "UPSTREAM_ACL_DECLINED"
API_UNSUPPORTED = "UPSTREAM_API_UNSUPPORTED"
PARAM_MISSING = "UPSTREAM_PARAM_MISSING"
IMAGE_REJECTED = "UPSTREAM_IMAGE_REJECTED"
UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
MALFORMED = "UPSTREAM_MALFORMED_RESPONSE"
RATE_LIMITED = "UPSTREAM_RATE_LIMITED"
QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
REQUEST_INVALID = "UPSTREAM_REQUEST_INVALID"
OFFER_NOT_FOUND = "OFFER_NOT_FOUND"
CIRCUIT_OPEN = "CIRCUIT_OPEN"
DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"

DETAIL_APIS = ("product.search.queryProductDetail", "alibaba.product.get")
FREQUENCY_LIMIT_CODE = "gw.QosAppFrequencyLimit"
NO_USAGE_LEFT_CODE = "gw.NoUsageLeftError"
# queryProductDetail's refusal of an offer outside the curated pool, inside a 200:
# {"result": {"success": false, "message": "offerId:... 不是精选货源商品"}}.
OUTSIDE_POOL_WORDS = "不是精选货源商品"

_GATEWAY_CODES = {
    "401": TOKEN_EXPIRED,
    "gw.APIACLDecline": ACL_DECLINED,
    "gw.APIUnsupported": API_UNSUPPORTED,
    "gw.SignatureInvalid": SIGNATURE_INVALID,
    "gw.SignatureMissing": SIGNATURE_INVALID,
    "gw.ParamMissing": PARAM_MISSING,
    FREQUENCY_LIMIT_CODE: RATE_LIMITED,
    NO_USAGE_LEFT_CODE: QUOTA_EXHAUSTED,
}
# HTTP statuses that say what went wrong when the body does not.
_REQUEST_TIMEOUT = 408
_HTTP_REASONS = {401: TOKEN_EXPIRED, 429: RATE_LIMITED}
# Where a refusal's text may be: ``error_message`` in the real error bodies, ``message`` in
# 1688's envelope, the others in other envelopes (parsing.py reads refusals with these too).
MESSAGE_KEYS = ("error_message", "errorMessage", "errorMsg", "message", "msg")
# Keys only the platform's error bodies have (a success's "message" is no error).
_ERROR_MESSAGE_KEYS = ("error_message", "errorMessage")
_NOT_FOUND_WORDS = ("not_found", "notfound", "not_exist", "notexist", "不存在", "not exist")
_MESSAGE_LIMIT = 200


class UpstreamError(Exception):
    """A failed upstream call; ``str()`` is safe to log and to send to callers."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        api: str,
        upstream_code: str = "",
        upstream_message: str = "",
        transient: bool = False,
        reached: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{api}: {message}")
        self.reason = reason
        self.api = api
        self.upstream_code = upstream_code
        self.upstream_message = upstream_message
        self.transient = transient
        self.reached = reached
        self.retry_after = retry_after

    @property
    def image_expired(self) -> bool:
        """imageQuery does not know the imageId (any more): upload the photo again."""
        text = f"{self.upstream_code} {self.upstream_message}".lower()
        return (
            self.reason == REQUEST_INVALID
            and "image" in text
            and ("not_found" in text or "not found" in text or "expired" in text)
        )

    @property
    def outside_curated_pool(self) -> bool:
        """queryProductDetail answers only for curated offers; this one is not (ask elsewhere)."""
        return self.reason == REQUEST_INVALID and OUTSIDE_POOL_WORDS in self.upstream_message

    @property
    def stale_timestamp(self) -> bool:
        """1688 refused ``_aop_timestamp`` as too old: our clock needs re-calibrating."""
        return self.reason == REQUEST_INVALID and "expired" in self.upstream_message.lower()


class UpstreamMalformed(UpstreamError):
    """The upstream answered something that is not the documented JSON."""

    def __init__(self, api: str, what: str) -> None:
        super().__init__(MALFORMED, f"malformed response: {what}", api=api)


def _text(value: Any, scrub: Callable[[str], str]) -> str:
    text = "" if value is None else str(value)
    return scrub(text)[:_MESSAGE_LIMIT]


def _refused(reason: str, api: str, code: str, message: str, detail: str) -> UpstreamError:
    """The upstream said no; only its rate limit is worth trying again."""
    return UpstreamError(
        reason,
        f"refused: {detail}",
        api=api,
        upstream_code=code,
        upstream_message=message,
        transient=reason == RATE_LIMITED,
    )


def _gateway_error(api: str, status: int, code: str, message: str) -> UpstreamError:
    reason = _GATEWAY_CODES.get(code)
    detail = f"{code or status}: {message}" if message else (code or str(status))
    if reason is None and (status >= 500 or status == _REQUEST_TIMEOUT):
        return UpstreamError(
            UNAVAILABLE,
            f"upstream error {detail}",
            api=api,
            upstream_code=code,
            upstream_message=message,
            transient=True,
        )
    if reason is None:
        reason = _HTTP_REASONS.get(status, REQUEST_INVALID)
    return _refused(reason, api, code, message, detail)


def business_error(api: str, code: str, message: str, image_api: bool) -> UpstreamError:
    """A ``{"success": false, "code", "message"}`` answer of a newer API (a gateway code in it,
    such as the frequency limit, means what it means in an ``error_code`` body)."""
    lowered = f"{code} {message}".lower()
    if code in _GATEWAY_CODES:
        reason = _GATEWAY_CODES[code]
    elif image_api:
        reason = IMAGE_REJECTED
    elif api in DETAIL_APIS and any(word in lowered for word in _NOT_FOUND_WORDS):
        reason = OFFER_NOT_FOUND
    else:
        reason = REQUEST_INVALID
    detail = f"{code}: {message}" if code else message or "refused"
    return _refused(reason, api, code, message, detail)


def classify(
    api: str, status: int, body: Any, scrub: Callable[[str], str] = str
) -> UpstreamError | None:
    """The error a gateway-level reply describes, or None.

    An ``error_code`` (``errorCode``) or ``error_message`` (``errorMessage``) that is set is an
    error whatever the HTTP status (a 200 carrying one too); a body with them ``null`` or
    empty is not. An HTTP error is one with whatever code the body has (``code``, when the
    body is an object) or, when it has none or is not JSON (``body`` None: an HTML page,
    nothing), by its status alone.
    """
    fields = body if isinstance(body, Mapping) else {}
    code = _text(_present(fields, "error_code", "errorCode"), scrub)
    if not code and status >= 400:
        code = _text(_present(fields, "code"), scrub)
    message = _text(_present(fields, *MESSAGE_KEYS), scrub)
    if not code and status < 400 and not _present(fields, *_ERROR_MESSAGE_KEYS):
        return None
    return _gateway_error(api, status, code, message or ("" if code else f"HTTP {status}"))


def _present(fields: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` with a value (not null, not empty)."""
    return next((fields[name] for name in names if fields.get(name) not in (None, "")), None)


class QuotaExhausted(Exception):
    """The daily budget of ``api`` (the app's, or ``tenant``'s share) is spent."""

    def __init__(
        self, api: str, tenant: str | None, limit: int, used: int, resets_at: datetime
    ) -> None:
        if resets_at.tzinfo is None:
            raise ValueError("resets_at must be an aware datetime")
        who = f"tenant {tenant!r}" if tenant is not None else "the app"
        super().__init__(f"daily quota of {api} for {who} exhausted ({used}/{limit})")
        self.api = api
        self.tenant = tenant
        self.limit = limit
        self.used = used
        self.resets_at = resets_at


class RateLimitTimeout(Exception):
    """Waiting for a QPS token (or a shared back-off) would pass the caller's deadline."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited: next call possible in {retry_after:.3f} s")
        self.retry_after = retry_after
