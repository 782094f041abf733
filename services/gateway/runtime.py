"""Everything one gateway process holds, built from its settings.

One store, one upstream HTTP client (aiohttp: pooled, keep-alive, no proxies from the
environment, no cookies), the quota ledger, the shared rate limiter, a circuit breaker per
API, the token manager, the caches and the flows. :meth:`GatewayRuntime.start`
calibrates the clock (a failure is only logged: the first stale-timestamp
answer calibrates again); :meth:`GatewayRuntime.close` releases it all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from services.gateway.offers.details import OfferDetails
from services.gateway.search.flow import FlowLimits, SearchFlow
from services.gateway.settings import GatewaySettings
from services.gateway.store.caches import Caches
from services.gateway.store.idempotency import Idempotency
from services.gateway.store.interface import Store, open_store
from services.gateway.store.quota_ledger import LEASE_S, QuotaLedger
from services.gateway.upstream import metrics as upstream_metrics
from services.gateway.upstream.circuit_breaker import CircuitBreaker
from services.gateway.upstream.client import BREAKER_APIS, Timeouts, UpstreamClient
from services.gateway.upstream.errors import UpstreamError
from services.gateway.upstream.http import Limits, UpstreamHttp
from services.gateway.upstream.rate_limit import RateLimiter
from services.gateway.upstream.retry import RetryPolicy
from services.gateway.upstream.token_sealing import TokenSeal
from services.gateway.upstream.tokens import OAuthRefresher, TokenManager, TokenPair, parse_expiry

log = logging.getLogger(__name__)


@dataclass
class GatewayRuntime:
    settings: GatewaySettings
    store: Store
    http: UpstreamHttp
    ledger: QuotaLedger
    breakers: dict[str, CircuitBreaker]
    client: UpstreamClient
    tokens: TokenManager
    caches: Caches
    details: OfferDetails
    flow: SearchFlow
    idempotency: Idempotency
    _upkeep: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        # Before serving: units a killed predecessor reserved but never sent go back now.
        await self.ledger.renew_lease()
        await self.ledger.recover()
        self._upkeep = asyncio.create_task(self._keep_ledger())
        try:
            await self.client.calibrate_clock()
        except UpstreamError as exc:
            log.warning("clock calibration failed", extra={"fields": {"error": str(exc)}})
        try:
            await self.tokens.access_token()
        except UpstreamError as exc:
            # Serve anyway: calls will fail with a clear reason until the token is fixed.
            log.error("no usable access token", extra={"fields": {"error": str(exc)}})

    async def _keep_ledger(self) -> None:
        """Renew this process's lease and release the holds of replicas that died."""
        while True:
            await asyncio.sleep(LEASE_S / 3)
            try:
                await self.ledger.renew_lease()
                await self.ledger.recover()
            except Exception:
                log.exception("ledger upkeep failed")

    async def close(self) -> None:
        if self._upkeep is not None:
            self._upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._upkeep
        await self.http.aclose()
        await self.idempotency.settle()
        await self.caches.settle()
        await self.store.close()


def _store(settings: GatewaySettings) -> Store:
    if not settings.store_url:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    return open_store(settings.resolved_store_url, settings.store_sync)


def _http(settings: GatewaySettings) -> UpstreamHttp:
    return UpstreamHttp(
        Limits(
            max_connections=settings.max_connections,
            max_keepalive=settings.max_keepalive,
            keepalive_expiry_s=settings.keepalive_expiry_s,
        )
    )


def _tokens(settings: GatewaySettings, store: Store, http: UpstreamHttp) -> TokenManager:
    configured = TokenPair(
        access_token=settings.access_token,
        refresh_token=settings.refresh_token,
        access_expires_at=settings.access_token_expires_at or None,
        refresh_expires_at=parse_expiry(settings.refresh_token_expires_at),
    )
    refresher = OAuthRefresher(
        http,
        settings.upstream_url,
        settings.app_key,
        settings.app_secret,
        settings.refresh_token_param,
        settings.connect_timeout_s + settings.read_timeout_s,
    )
    return TokenManager(
        configured,
        store,
        refresher,
        settings.app_key,
        seal=TokenSeal(settings.app_key, settings.app_secret),
        postponer=refresher.postpone,
    )


def build_runtime(settings: GatewaySettings) -> GatewayRuntime:
    store = _store(settings)
    http = _http(settings)
    ledger = QuotaLedger(store, settings.budgets, settings.tenant_shares)
    breakers = {
        api.name: CircuitBreaker(api.name, settings.breaker_failures, settings.breaker_reset_s)
        for api in BREAKER_APIS
    }
    for name, breaker in breakers.items():
        upstream_metrics.watch_breaker(name, breaker)
    client = UpstreamClient(
        http,
        settings.upstream_url,
        settings.app_key,
        settings.app_secret,
        ledger,
        RateLimiter(store, settings.app_key, settings.qps, settings.burst),
        breakers,
        RetryPolicy(
            settings.max_attempts,
            settings.retry_base_delay_s,
            settings.retry_max_delay_s,
            settings.frequency_backoff_s,
        ),
        Timeouts(settings.connect_timeout_s, settings.read_timeout_s),
    )
    tokens = _tokens(settings, store, http)
    client.use_tokens(tokens)
    caches = Caches(
        store,
        settings.search_ttl_s,
        settings.detail_ttl_s,
        settings.image_id_ttl_s,
        settings.phash_distance,
    )
    details = OfferDetails(client, caches, store)
    limits = FlowLimits(settings.enrich_cap, settings.locale)
    flow = SearchFlow(client, caches, ledger, details, limits)
    return GatewayRuntime(
        settings,
        store,
        http,
        ledger,
        breakers,
        client,
        tokens,
        caches,
        details,
        flow,
        Idempotency(store),
    )
