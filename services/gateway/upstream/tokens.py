"""The 1688 access token: refreshed before it expires and after a 401, once.

* The first pair comes from the settings (env or secret files). Every new
  access token is written to the store (sealed with a key derived from the app
  secret: see ``token_sealing``), so a restarted process or another
  replica picks it up instead of refreshing again. A stored pair is used only
  while it descends from the same configured pair (a fingerprint of it is
  stored alongside): an operator who re-authorizes wins over the store.
* Refresh at ~90 % of the token's life, and when the upstream answers 401.
  However many calls wait, exactly one refresh is in flight: an asyncio lock
  in the process, a lease key in the store across replicas (the others wait
  for the new token to appear in the store).
* In a refresh token's last 30 days, the refresh calls 1688's ``postponeToken``
  instead, which renews both tokens (stored like any refresh); if that is
  refused, a plain refresh keeps the service going and the approaching end is
  reported (log + metric) until an operator re-authorizes.

Token values are never logged; ``TokenPair`` has a repr without them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from services.gateway.offers.parsing import decode_body, parse_1688_time
from services.gateway.store.interface import Store
from services.gateway.upstream import form as form_body
from services.gateway.upstream import metrics as upstream_metrics
from services.gateway.upstream.errors import TOKEN_EXPIRED, UNAVAILABLE, UpstreamError
from services.gateway.upstream.http import HttpFailure, UpstreamHttp
from services.gateway.upstream.token_sealing import TokenSeal

log = logging.getLogger(__name__)

TOKEN_API = "system.oauth2.getToken"
POSTPONE_API = "system.oauth2.postponeToken"
# 1688 access tokens live 10 h (expires_in "36000").
DEFAULT_LIFETIME_S = 36_000.0
REFRESH_AT_FRACTION = 0.9
WARN_BEFORE_S = 30 * 86_400.0
_LEASE_S = 30.0
_POLL_S = 0.05


@dataclass(frozen=True, repr=False)
class TokenPair:
    access_token: str
    refresh_token: str
    # Epoch seconds; None when unknown (then only a 401 triggers a refresh).
    access_expires_at: float | None = None
    lifetime_s: float = DEFAULT_LIFETIME_S
    refresh_expires_at: float | None = None
    # Fingerprint of the configured pair this one descends from.
    origin: str = ""

    def __repr__(self) -> str:
        return f"TokenPair(access_expires_at={self.access_expires_at}, secrets=***)"

    def refresh_due(self, now: float) -> bool:
        if self.access_expires_at is None:
            return False
        return now >= self.access_expires_at - (1 - REFRESH_AT_FRACTION) * self.lifetime_s

    def refresh_ending(self, now: float) -> bool:
        """The refresh token is in its last 30 days (the window ``postponeToken`` accepts)."""
        return self.refresh_expires_at is not None and self.refresh_expires_at - now < WARN_BEFORE_S

    def to_bytes(self) -> bytes:
        fields = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "access_expires_at": self.access_expires_at,
            "lifetime_s": self.lifetime_s,
            "refresh_expires_at": self.refresh_expires_at,
            "origin": self.origin,
        }
        return json.dumps(fields).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> TokenPair:
        fields = json.loads(raw)
        return cls(**fields)


def fingerprint(access_token: str, refresh_token: str) -> str:
    """A one-way tag of a configured pair (safe to store next to it)."""
    return hashlib.sha256(f"{access_token}\n{refresh_token}".encode()).hexdigest()[:16]


def parse_expiry(text: str) -> float | None:
    """1688's ``yyyyMMddHHmmssSSS+0800`` or epoch seconds → epoch seconds; None if blank."""
    stripped = text.strip()
    if not stripped:
        return None
    if stripped.replace(".", "", 1).isdigit() and len(stripped) <= 12:
        return float(stripped)
    return parse_1688_time(stripped).timestamp()


def parse_grant(body: Any, now: float, previous: TokenPair, api: str = TOKEN_API) -> TokenPair:
    """getToken's (or postponeToken's) answer → the new pair.

    getToken does not rotate the refresh token; postponeToken answers a new one.
    """
    if not isinstance(body, Mapping) or not body.get("access_token"):
        raise UpstreamError(TOKEN_EXPIRED, f"{api} answered no access_token", api=api)
    try:
        lifetime = float(str(body.get("expires_in") or DEFAULT_LIFETIME_S))
        refresh_expiry = parse_expiry(str(body.get("refresh_token_timeout") or ""))
    except ValueError:
        raise UpstreamError(UNAVAILABLE, f"{api} answer is unreadable", api=api) from None
    return replace(
        previous,
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or previous.refresh_token),
        access_expires_at=now + lifetime,
        lifetime_s=lifetime,
        refresh_expires_at=refresh_expiry or previous.refresh_expires_at,
    )


Refresher = Callable[[TokenPair], Awaitable[TokenPair]]


class OAuthRefresher:
    """Renews tokens at ``system.oauth2``: ``getToken`` (grant_type=refresh_token) when called,
    ``postponeToken`` through :meth:`postpone`."""

    def __init__(
        self,
        http: UpstreamHttp,
        base_url: str,
        app_key: str,
        app_secret: str,
        refresh_param: str,
        timeout_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._base = f"{base_url.rstrip('/')}/param2/1/system.oauth2"
        self._app_key = app_key
        self._app_secret = app_secret
        # "refresh_token" or "refreshToken": public sources disagree ([?] in the protocol note).
        self._param = refresh_param
        self._timeout = timeout_s
        self._clock = clock

    async def __call__(self, pair: TokenPair) -> TokenPair:
        form = {"grant_type": "refresh_token", self._param: pair.refresh_token}
        return await self._post("getToken", TOKEN_API, form, pair)

    async def postpone(self, pair: TokenPair) -> TokenPair:
        """A new access token and a renewed refresh token (1688 allows it in the last 30 days)."""
        form = {self._param: pair.refresh_token, "access_token": pair.access_token}
        return await self._post("postponeToken", POSTPONE_API, form, pair)

    async def _post(self, name: str, api: str, form: dict[str, str], pair: TokenPair) -> TokenPair:
        credentials = {"client_id": self._app_key, "client_secret": self._app_secret}
        url = f"{self._base}/{name}/{self._app_key}"
        try:
            response = await self._http.post(
                url,
                form_body.encode({**form, **credentials}),
                {"Content-Type": form_body.CONTENT_TYPE},
                connect_s=self._timeout,
                read_s=self._timeout,
                total_s=self._timeout,
            )
        except HttpFailure as exc:
            raise UpstreamError(
                UNAVAILABLE, f"{name} failed: {exc}", api=api, transient=True
            ) from None
        if response.status >= 500:
            raise UpstreamError(
                UNAVAILABLE,
                f"{name} failed: HTTP {response.status}",
                api=api,
                transient=True,
            )
        if response.status >= 400:
            raise UpstreamError(
                TOKEN_EXPIRED,
                f"{name} refused (HTTP {response.status}): re-authorize the app",
                api=api,
            )
        return parse_grant(decode_body(api, response.content), self._clock(), pair, api)


class TokenManager:
    def __init__(
        self,
        configured: TokenPair,
        store: Store,
        refresher: Refresher,
        app_key: str,
        clock: Callable[[], float] = time.time,
        *,
        seal: TokenSeal,
        postponer: Refresher | None = None,
    ) -> None:
        self._pair = replace(
            configured, origin=fingerprint(configured.access_token, configured.refresh_token)
        )
        self._store = store
        self._seal = seal
        self._refresher = refresher
        self._postponer = postponer
        self._clock = clock
        self._key = f"token:{app_key}"
        self._lease = f"token:{app_key}:refreshing"
        self._lock = asyncio.Lock()
        self._loaded = False
        self.refreshes = 0

    def secrets(self) -> list[str]:
        """Current token values, for scrubbing text before it leaves the process."""
        return [value for value in (self._pair.access_token, self._pair.refresh_token) if value]

    async def access_token(self) -> str:
        """The token to sign the next call with; refreshed first when ~90 % of its life is gone."""
        if not self._loaded:
            async with self._lock:
                await self._adopt_stored()
                self._loaded = True
                self._report_refresh_expiry()
        pair = self._pair
        if pair.refresh_due(self._clock()) or not pair.access_token:
            try:
                return await self.refresh(pair.access_token)
            except UpstreamError:
                if not pair.access_token or pair.access_expires_at is None:
                    raise
                if pair.access_expires_at <= self._clock():
                    raise
                log.warning("early token refresh failed; the current token is still valid")
        return self._pair.access_token

    async def refresh(self, stale: str) -> str:
        """Replace ``stale`` (after a 401, or when due); one refresh however many ask."""
        async with self._lock:
            if self._pair.access_token != stale and self._pair.access_token:
                return self._pair.access_token
            if await self._adopt_stored() and self._pair.access_token != stale:
                return self._pair.access_token
            return await self._refresh_with_lease(stale)

    async def _refresh_with_lease(self, stale: str) -> str:
        leased = await self._store.reserve(self._lease, 1, _LEASE_S) is not None
        if not leased and await self._wait_for_other_replica(stale):
            return self._pair.access_token
        try:
            try:
                fresh = await self._renew(self._pair)
            except UpstreamError as exc:
                upstream_metrics.TOKEN_REFRESHES.labels("failed").inc()
                log.error("access token refresh failed", extra={"fields": {"reason": exc.reason}})
                raise
            self._pair = fresh
            self.refreshes += 1
            upstream_metrics.TOKEN_REFRESHES.labels("ok").inc()
            await self._store.put(self._key, self._seal.seal(fresh.to_bytes()))
            log.info(
                "access token refreshed",
                extra={"fields": {"expires_at": fresh.access_expires_at}},
            )
            self._report_refresh_expiry()
            return fresh.access_token
        finally:
            if leased:
                await self._store.delete(self._lease)

    async def _renew(self, pair: TokenPair) -> TokenPair:
        """A new access token; in the refresh token's last 30 days a renewed refresh token too."""
        if self._postponer is not None and pair.refresh_ending(self._clock()):
            try:
                renewed = await self._postponer(pair)
            except UpstreamError as exc:
                upstream_metrics.TOKEN_POSTPONES.labels("failed").inc()
                log.warning(
                    "postponing the refresh token failed; refreshing the access token only",
                    extra={"fields": {"reason": exc.reason, "detail": str(exc)}},
                )
            else:
                upstream_metrics.TOKEN_POSTPONES.labels("ok").inc()
                log.info(
                    "refresh token renewed (postponeToken)",
                    extra={"fields": {"refresh_expires_at": renewed.refresh_expires_at}},
                )
                return renewed
        return await self._refresher(pair)

    async def _wait_for_other_replica(self, stale: str) -> bool:
        """Another replica holds the lease: wait for its token to land in the store."""
        deadline = time.monotonic() + _LEASE_S
        while time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)
            if await self._adopt_stored() and self._pair.access_token != stale:
                return True
            if await self._store.counter(self._lease) == 0:
                return False
        return False

    async def _adopt_stored(self) -> bool:
        """Use the stored pair if it descends from our configured one; True if adopted."""
        sealed = await self._store.get(self._key)
        if sealed is None:
            return False
        raw = self._seal.open(sealed)
        if raw is None:
            log.warning("ignoring a stored token not sealed with this app's secret")
            return False
        try:
            stored = TokenPair.from_bytes(raw)
        except (ValueError, TypeError):
            log.warning("ignoring an unreadable stored token")
            return False
        if stored.origin != self._pair.origin or stored.access_token == self._pair.access_token:
            return False
        self._pair = stored
        return True

    def _report_refresh_expiry(self) -> None:
        expires = self._pair.refresh_expires_at
        if expires is None:
            upstream_metrics.REFRESH_TOKEN_EXPIRY.set(-1)
            return
        left = expires - self._clock()
        upstream_metrics.REFRESH_TOKEN_EXPIRY.set(left)
        upstream_metrics.REFRESH_TOKEN_EXPIRING.set(1 if left < WARN_BEFORE_S else 0)
        if left < WARN_BEFORE_S:
            log.warning(
                "the 1688 refresh token ends soon: the next refresh tries postponeToken; "
                "if it keeps failing, re-authorize the app",
                extra={"fields": {"days_left": round(left / 86_400, 1)}},
            )
