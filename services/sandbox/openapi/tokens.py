"""Authorization codes, access tokens and refresh tokens, on the sandbox clock.

An access token lives ``access_seconds`` (10 h by default), a refresh token
``refresh_seconds`` (about half a year); refreshing issues a new access token
and keeps the refresh token (1688 does not rotate it); ``postpone`` renews a
refresh token in the last ``postpone_window_days`` of its life. Codes are
single-use. Tokens are bound to the app key they were issued to.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.sandbox.openapi.clock import SandboxClock
from services.sandbox.openapi.errors import OAuthError
from shared.china_time import CHINA_TZ


@dataclass
class _Grant:
    app_key: str
    expires_at: float


@dataclass(frozen=True)
class TokenLifetimes:
    access_seconds: float
    refresh_seconds: float
    code_seconds: float
    postpone_window_days: float


def china_stamp(epoch_seconds: float) -> str:
    """``yyyyMMddHHmmssSSS+0800``, the format of ``refresh_token_timeout``."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC).astimezone(CHINA_TZ)
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}+0800"


class TokenStore:
    def __init__(self, clock: SandboxClock, lifetimes: TokenLifetimes) -> None:
        self._clock = clock
        self._life = lifetimes
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}

    def mint_code(self, app_key: str) -> tuple[str, float]:
        """A fresh authorization code and its lifetime in seconds."""
        code = secrets.token_hex(16)
        self._codes[code] = _Grant(app_key, self._clock.time() + self._life.code_seconds)
        return code, self._life.code_seconds

    def exchange_code(self, app_key: str, code: str, with_refresh: bool) -> dict[str, Any]:
        grant = self._codes.pop(code, None)
        if grant is None or grant.app_key != app_key or grant.expires_at <= self._clock.time():
            raise OAuthError(400, "invalid_grant", "authorization code is invalid or expired")
        return self.mint_pair(app_key, with_refresh=with_refresh)

    def mint_pair(self, app_key: str, *, with_refresh: bool = True) -> dict[str, Any]:
        """What a successful code exchange answers."""
        body = self._new_access(app_key)
        if with_refresh:
            token = str(uuid.uuid4())
            expires_at = self._clock.time() + self._life.refresh_seconds
            self._refresh[token] = _Grant(app_key, expires_at)
            body["refresh_token"] = token
            body["refresh_token_timeout"] = china_stamp(expires_at)
        return body

    def refresh(self, app_key: str, refresh_token: str) -> dict[str, Any]:
        self._live_refresh(app_key, refresh_token)
        return self._new_access(app_key)

    def postpone(self, app_key: str, refresh_token: str) -> dict[str, Any]:
        grant = self._live_refresh(app_key, refresh_token)
        window = self._life.postpone_window_days * 86400
        if window and grant.expires_at - self._clock.time() > window:
            raise OAuthError(
                400, "invalid_request", "refresh_token can only be postponed near its expiry"
            )
        del self._refresh[refresh_token]
        return self.mint_pair(app_key)

    def access_valid(self, app_key: str, token: str) -> bool:
        grant = self._access.get(token)
        return (
            grant is not None and grant.app_key == app_key and grant.expires_at > self._clock.time()
        )

    def _live_refresh(self, app_key: str, refresh_token: str) -> _Grant:
        grant = self._refresh.get(refresh_token)
        if grant is None or grant.app_key != app_key:
            raise OAuthError(400, "invalid_grant", "refresh_token is invalid")
        if grant.expires_at <= self._clock.time():
            raise OAuthError(400, "invalid_grant", "refresh_token is expired")
        return grant

    def _new_access(self, app_key: str) -> dict[str, Any]:
        token = str(uuid.uuid4())
        self._access[token] = _Grant(app_key, self._clock.time() + self._life.access_seconds)
        return {
            "access_token": token,
            "aliId": "8000000000001",
            "resource_owner": "sandbox_buyer",
            "memberId": "b2b-sandboxbuyer0001",
            "expires_in": str(int(self._life.access_seconds)),
        }
