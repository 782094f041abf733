"""Gateway settings, from ``FF_GATEWAY_*`` environment variables.

Secrets (app secret, access and refresh tokens) come from ``NAME`` or from the
file named by ``NAME_FILE``; the settings' repr leaves them out, so printing or
logging the settings cannot leak them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from shared.config import (
    ConfigError,
    ServerSettings,
    float_range,
    int_range,
    load,
    one_of,
    parse_list,
    setting,
)

IMAGE_UPLOAD = "product.image.upload"
IMAGE_QUERY = "product.search.imageQuery"
QUERY_DETAIL = "product.search.queryProductDetail"
PRODUCT_GET = "alibaba.product.get"

# The seed plan allows 500 image searches a day; detail APIs are usually more generous.
DEFAULT_BUDGETS = {IMAGE_UPLOAD: 500, IMAGE_QUERY: 500, QUERY_DETAIL: 5000, PRODUCT_GET: 5000}


def parse_budgets(text: str) -> dict[str, int]:
    """``api=n,api=n`` → {api: n}; listed APIs replace the defaults, others keep theirs."""
    budgets = dict(DEFAULT_BUDGETS)
    for item in parse_list(text):
        api, sep, count = item.partition("=")
        if not sep or not api.strip():
            raise ValueError(f"expected api=count, got {item!r}")
        budgets[api.strip()] = int_range(0)(count)
    return budgets


def parse_tenant_shares(text: str) -> dict[str, dict[str, int]]:
    """``tenant@api=n,...`` → {tenant: {api: n}}; the tenant ``*`` is every unlisted tenant."""
    shares: dict[str, dict[str, int]] = {}
    for item in parse_list(text):
        target, sep, count = item.partition("=")
        tenant, at, api = target.partition("@")
        if not sep or not at or not tenant.strip() or not api.strip():
            raise ValueError(f"expected tenant@api=count, got {item!r}")
        shares.setdefault(tenant.strip(), {})[api.strip()] = int_range(0)(count)
    return shares


def _positive(text: str) -> float:
    return float_range(0.001)(text)


@dataclass(frozen=True, repr=False)
class GatewaySettings(ServerSettings):
    ENV_PREFIX: ClassVar[str] = "FF_GATEWAY"
    SECRET_FIELDS: ClassVar[tuple[str, ...]] = ("app_secret", "access_token", "refresh_token")

    # --- the upstream ----------------------------------------------------------------
    # Base URL up to and including /openapi (1688: https://gw.open.1688.com/openapi).
    upstream_url: str = setting("{prefix}_UPSTREAM_URL", "http://127.0.0.1:8688/openapi")
    # 1688 Open Platform app key (required).
    app_key: str = setting("{prefix}_APP_KEY", "")
    # 1688 app secret, used to sign every call (required; or FF_GATEWAY_APP_SECRET_FILE).
    app_secret: str = setting("{prefix}_APP_SECRET", "", secret=True)
    # OAuth access token of the seller account (or a refresh token to get one).
    access_token: str = setting("{prefix}_ACCESS_TOKEN", "", secret=True)
    # Epoch seconds the access token expires at; 0 = unknown (refresh on a 401 only).
    access_token_expires_at: float = setting(
        "{prefix}_ACCESS_TOKEN_EXPIRES_AT", 0.0, parse=float_range(0)
    )
    # OAuth refresh token, used to renew the access token.
    refresh_token: str = setting("{prefix}_REFRESH_TOKEN", "", secret=True)
    # 1688's "yyyyMMddHHmmssSSS+0800" or epoch seconds; "" = unknown.
    refresh_token_expires_at: str = setting("{prefix}_REFRESH_TOKEN_EXPIRES_AT", "")
    # The refresh call's parameter name is not confirmed publicly ([?] in the protocol note).
    refresh_token_param: str = setting("{prefix}_REFRESH_TOKEN_PARAM", "refresh_token")
    # Language asked of the upstream for titles and messages (en or zh).
    locale: str = setting("{prefix}_LOCALE", "en")

    # --- HTTP ---------------------------------------------------------------------------
    # Seconds allowed to open a connection to the upstream.
    connect_timeout_s: float = setting("{prefix}_CONNECT_TIMEOUT_S", 10.0, parse=_positive)
    # Seconds allowed for the upstream's answer to one call.
    read_timeout_s: float = setting("{prefix}_READ_TIMEOUT_S", 30.0, parse=_positive)
    # Most open HTTP connections to the upstream.
    max_connections: int = setting("{prefix}_MAX_CONNECTIONS", 50, parse=int_range(1, 10_000))
    # Idle HTTP connections kept open for reuse.
    max_keepalive: int = setting("{prefix}_MAX_KEEPALIVE", 20, parse=int_range(0, 10_000))
    # Seconds an idle HTTP connection is kept.
    keepalive_expiry_s: float = setting("{prefix}_KEEPALIVE_EXPIRY_S", 30.0, parse=_positive)
    # Used when a caller sends no gRPC deadline.
    default_deadline_s: float = setting("{prefix}_DEFAULT_DEADLINE_S", 60.0, parse=_positive)

    # --- state ------------------------------------------------------------------------
    # Folder of the embedded SQLite store (budgets, tokens, caches) when FF_GATEWAY_STORE_URL is
    # empty.
    data_dir: str = setting("{prefix}_DATA_DIR", "var/gateway")
    # "" = sqlite:///<data_dir>/gateway.db; or memory://, redis://host:port/db.
    store_url: str = setting("{prefix}_STORE_URL", "")
    # SQLite store: synchronous level of quota commits. NORMAL (WAL, no fsync per commit)
    # survives a killed process; an OS crash or power cut can lose the last commits' quota
    # records (1688 enforces its own quota and its refusal is mapped). FULL fsyncs each.
    store_sync: str = setting("{prefix}_STORE_SYNC", "NORMAL", parse=one_of("NORMAL", "FULL"))

    # --- budgets and limits -------------------------------------------------------------
    # Daily budget per upstream API (api=calls); listed APIs replace their defaults, 0 = none
    # allowed.
    budgets: Mapping[str, int] = setting(
        "{prefix}_BUDGETS", dict(DEFAULT_BUDGETS), parse=parse_budgets
    )
    # Daily calls a tenant may spend per API (tenant@api=calls); tenant * = every unlisted
    # tenant.
    tenant_shares: Mapping[str, Mapping[str, int]] = setting(
        "{prefix}_TENANT_SHARES", {}, parse=parse_tenant_shares
    )
    # Calls per second to the upstream, shared by all callers (token bucket rate).
    qps: float = setting("{prefix}_QPS", 10.0, parse=_positive)
    # Calls that may go out at once before the rate applies (token bucket size).
    burst: int = setting("{prefix}_BURST", 10, parse=int_range(1, 10_000))

    # --- retries and breaker ----------------------------------------------------------
    # Attempts per upstream call, retries of transient failures included.
    max_attempts: int = setting("{prefix}_MAX_ATTEMPTS", 4, parse=int_range(1, 20))
    # First retry delay in seconds; doubles each attempt, with jitter.
    retry_base_delay_s: float = setting("{prefix}_RETRY_BASE_DELAY_S", 0.2, parse=_positive)
    # Longest delay between two retries, in seconds.
    retry_max_delay_s: float = setting("{prefix}_RETRY_MAX_DELAY_S", 5.0, parse=_positive)
    # After gw.QosAppFrequencyLimit every caller pauses this long (one client reports 10 s).
    frequency_backoff_s: float = setting("{prefix}_FREQUENCY_BACKOFF_S", 10.0, parse=_positive)
    # Consecutive failures of an API that open its circuit breaker.
    breaker_failures: int = setting("{prefix}_BREAKER_FAILURES", 5, parse=int_range(1, 1000))
    # Seconds an open breaker waits before letting one trial call through.
    breaker_reset_s: float = setting("{prefix}_BREAKER_RESET_S", 30.0, parse=_positive)

    # --- caches -------------------------------------------------------------------------
    # Seconds search results are reused from the cache.
    search_ttl_s: float = setting("{prefix}_SEARCH_TTL_S", 6 * 3600.0, parse=_positive)
    # Seconds offer details are reused from the cache.
    detail_ttl_s: float = setting("{prefix}_DETAIL_TTL_S", 24 * 3600.0, parse=_positive)
    # Seconds an uploaded photo's imageId is reused instead of uploading again.
    image_id_ttl_s: float = setting("{prefix}_IMAGE_ID_TTL_S", 24 * 3600.0, parse=_positive)
    # Near-duplicate photos within this many pHash bits reuse one upload; 0 = exact only.
    phash_distance: int = setting("{prefix}_PHASH_DISTANCE", 4, parse=int_range(0, 16))
    # Most offers of one search whose details are fetched.
    enrich_cap: int = setting("{prefix}_ENRICH_CAP", 20, parse=int_range(0, 50))

    def __repr__(self) -> str:
        shown = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.name not in self.SECRET_FIELDS
        ]
        return f"GatewaySettings({', '.join(shown)}, secrets=***)"

    @property
    def resolved_store_url(self) -> str:
        if self.store_url:
            return self.store_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'gateway.db'}"

    def check(self) -> None:
        """Fail fast on what the gateway cannot run without."""
        if not self.app_key:
            raise ConfigError(f"{self.ENV_PREFIX}_APP_KEY is required but not set")
        if not self.app_secret:
            raise ConfigError(f"{self.ENV_PREFIX}_APP_SECRET (or _FILE) is required but not set")
        if not self.access_token and not self.refresh_token:
            raise ConfigError(
                f"{self.ENV_PREFIX}_ACCESS_TOKEN or {self.ENV_PREFIX}_REFRESH_TOKEN is required"
            )


def load_gateway_settings(
    environ: Mapping[str, str] | None = None, **overrides: Any
) -> GatewaySettings:
    """Read, complete and check the settings (raises ConfigError naming the variable)."""
    env = os.environ if environ is None else environ
    settings = load(GatewaySettings, env, **overrides)
    settings.check()
    return settings
