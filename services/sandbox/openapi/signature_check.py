"""Reading the API path and checking ``_aop_signature`` and ``_aop_timestamp``.

The path after ``/openapi/`` is ``{style}/{version}/{namespace}/{api}/{appKey}``
(``style`` is ``param2``, or ``http`` for the OAuth code exchange); the app key
must be its last segment. The signature is verified with
``shared.aop_signing.verify`` over that path (without ``/openapi/``) and every
other sent parameter, raw. A timestamp older (or further ahead) than the
allowed skew is refused as "Request is expired."
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.sandbox.openapi import errors
from shared.aop_signing import SIGNATURE_PARAM, TIMESTAMP_PARAM, verify


@dataclass(frozen=True, slots=True)
class ApiPath:
    style: str
    version: str
    namespace: str
    name: str
    app_key: str

    @property
    def signed_path(self) -> str:
        return f"{self.style}/{self.version}/{self.namespace}/{self.name}/{self.app_key}"

    @property
    def api(self) -> str:
        """The API name (unique across namespaces): the key budgets, ACLs and counts use."""
        return self.name


def parse_path(tail: str) -> ApiPath:
    """``tail`` is the URL path after ``/openapi/``."""
    segments = tail.strip("/").split("/")
    if len(segments) == 4 and segments[0] in ("param2", "http"):
        raise errors.app_key_missing()
    if len(segments) != 5 or segments[0] not in ("param2", "http") or not all(segments):
        raise errors.api_unsupported(tail)
    style, version, namespace, name, app_key = segments
    return ApiPath(style, version, namespace, name, app_key)


def check_signature(path: ApiPath, params: Mapping[str, str], secret: str) -> None:
    if not params.get(SIGNATURE_PARAM):
        raise errors.signature_missing()
    if not verify(path.signed_path, params, secret):
        raise errors.signature_invalid()


def check_timestamp(
    params: Mapping[str, str], now_ms: float, max_skew_seconds: float, required: bool
) -> None:
    """Refuse a stale (or far-future) ``_aop_timestamp``; ``max_skew_seconds`` 0 = no check."""
    raw = params.get(TIMESTAMP_PARAM)
    if raw is None:
        if required:
            raise errors.timestamp_missing()
        return
    try:
        sent = int(raw)
    except ValueError:
        raise errors.request_expired() from None
    if max_skew_seconds and abs(now_ms - sent) > max_skew_seconds * 1000:
        raise errors.request_expired()
