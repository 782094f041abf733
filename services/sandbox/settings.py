"""Settings of the 1688 sandbox (environment ``FF_SANDBOX_*``, or flags).

Every behaviour the protocol note marks [?] (or [1]) is a setting here, so
tests can pin either reading; the defaults are the sandbox's best guess.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from shared.config import float_range, int_range, one_of, parse_bool, parse_list, setting
from shared.config import parse_pairs as config_pairs

DEFAULT_BUDGETS = "product.search.imageQuery=500,product.image.upload=500"


def parse_apps(text: str) -> tuple[tuple[str, str], ...]:
    """``KEY=SECRET,KEY=SECRET`` (the one map syntax; ``KEY:SECRET`` still read) → pairs."""
    return tuple(config_pairs(text))


def parse_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``KEY:API,KEY:API`` → ((key, api), ...)."""
    return parse_apps(text)


def parse_counts(text: str) -> tuple[tuple[str, int], ...]:
    """``api=N,api=N`` → ((api, N), ...), N >= 0."""
    counts = []
    for item in parse_list(text):
        api, sep, number = item.partition("=")
        if not sep or not api:
            raise ValueError("expected API=N items")
        value = int(number)
        if value < 0:
            raise ValueError("counts must be >= 0")
        counts.append((api.strip(), value))
    return tuple(counts)


def _default_cache_dir() -> str:
    return str(Path(tempfile.gettempdir()) / "factoryfinder-sandbox")


def parse_cache_dir(text: str) -> str:
    """A directory, or ``none`` for no feature cache (an empty value means the default)."""
    return "" if text.strip().lower() == "none" else text.strip()


@dataclass(frozen=True)
class SandboxSettings:
    """All sandbox settings; ``shared.config.load(SandboxSettings)`` reads them."""

    ENV_PREFIX: ClassVar[str] = "FF_SANDBOX"

    # Address the sandbox's HTTP server listens on.
    host: str = setting("{prefix}_HOST", "127.0.0.1")
    # Port of the sandbox's HTTP server; 0 = any free port.
    port: int = setting("{prefix}_PORT", 0, parse=int_range(0, 65535))
    # Base URL of the offers' imageUrl; empty = the host the request came to.
    public_url: str = setting("{prefix}_PUBLIC_URL", "")
    # Lowest level logged: DEBUG, INFO, WARNING or ERROR.
    log_level: str = setting(
        "{prefix}_LOG_LEVEL", "INFO", parse=one_of("DEBUG", "INFO", "WARNING", "ERROR")
    )
    # Bearer token the /admin API requires; empty = the admin API is open.
    admin_token: str = setting("{prefix}_ADMIN_TOKEN", "", secret=True)
    # --- catalog ---
    # Seed of the deterministic catalog (same seed, same offers).
    seed: int = setting("{prefix}_SEED", 1688, parse=int)
    # At least this many offers in the catalog.
    catalog_offers: int = setting("{prefix}_CATALOG_OFFERS", 3200, parse=int_range(10, 200_000))
    # Folder caching the catalog's drawn pictures and features; none = no cache.
    cache_dir: str = setting("{prefix}_CACHE_DIR", _default_cache_dir(), parse=parse_cache_dir)
    # --- apps, OAuth and signing ---
    # Apps allowed to call, KEY=SECRET (KEY:SECRET still read).
    apps: tuple[tuple[str, str], ...] = setting(
        "{prefix}_APPS", (("1234567", "AbCdEf123456"),), parse=parse_apps, secret=True
    )
    # API calls an app is refused, KEY=API pairs (the upstream's ACL decline).
    acl_decline: tuple[tuple[str, str], ...] = setting(
        "{prefix}_ACL_DECLINE", (), parse=parse_pairs
    )
    # Lifetime of a minted access token, in seconds.
    access_token_seconds: float = setting(
        "{prefix}_ACCESS_TOKEN_SECONDS", 36000.0, parse=float_range(1)
    )
    # Lifetime of a minted refresh token, in seconds.
    refresh_token_seconds: float = setting(
        "{prefix}_REFRESH_TOKEN_SECONDS", 180 * 86400.0, parse=float_range(1)
    )
    # Lifetime of an OAuth authorization code, in seconds.
    auth_code_seconds: float = setting("{prefix}_AUTH_CODE_SECONDS", 600.0, parse=float_range(1))
    # postponeToken only works this many days before the refresh token expires; 0 = any time.
    postpone_window_days: float = setting(
        "{prefix}_POSTPONE_WINDOW_DAYS", 30.0, parse=float_range(0)
    )
    # Name of the refresh-token parameter accepted: refresh_token, refreshToken or both.
    refresh_param: str = setting(
        "{prefix}_REFRESH_PARAM", "both", parse=one_of("refresh_token", "refreshToken", "both")
    )
    # Largest difference of _aop_timestamp from the sandbox's clock; 0 = no check.
    timestamp_max_skew_seconds: float = setting(
        "{prefix}_TIMESTAMP_MAX_SKEW_SECONDS", 600.0, parse=float_range(0)
    )
    # Refuse calls without _aop_timestamp.
    require_timestamp: bool = setting("{prefix}_REQUIRE_TIMESTAMP", False, parse=parse_bool)
    # --- response shapes the protocol note leaves open ---
    # How success is written in responses: mixed, bool or string.
    success_style: str = setting(
        "{prefix}_SUCCESS_STYLE", "mixed", parse=one_of("mixed", "bool", "string")
    )
    # How a refused upload looks: mixed, zero_id or no_id.
    upload_refusal_shape: str = setting(
        "{prefix}_UPLOAD_REFUSAL_SHAPE", "mixed", parse=one_of("mixed", "zero_id", "no_id")
    )
    # "live": the 11 keys of the live captures; "doc2026": plus 1688's documented 2026 fields.
    row_shape: str = setting("{prefix}_ROW_SHAPE", "live", parse=one_of("live", "doc2026"))
    # Share of offers outside the curated pool (queryProductDetail refuses them inside a 200).
    detail_refusal_rate: float = setting(
        "{prefix}_DETAIL_REFUSAL_RATE", 0.1, parse=float_range(0, 1)
    )
    # Largest imageQuery pageSize served.
    page_size_limit: int = setting("{prefix}_PAGE_SIZE_LIMIT", 50, parse=int_range(1, 500))
    # A pageSize over the limit is clamped or refused: clamp or error.
    page_size_over_limit: str = setting(
        "{prefix}_PAGE_SIZE_OVER_LIMIT", "clamp", parse=one_of("clamp", "error")
    )
    # Largest pageSize of the URL-based similar-offer search.
    linkplus_page_size_limit: int = setting(
        "{prefix}_LINKPLUS_PAGE_SIZE_LIMIT", 20, parse=int_range(1, 500)
    )
    # Cap of totalRecords in search results.
    search_max_results: int = setting(
        "{prefix}_SEARCH_MAX_RESULTS", 500, parse=int_range(1, 200_000)
    )
    # --- images ---
    # Uploaded photos with a shorter side are refused (pixels).
    min_image_side: int = setting("{prefix}_MIN_IMAGE_SIDE", 800, parse=int_range(1, 10_000))
    # Largest uploaded photo, decoded (bytes).
    max_image_bytes: int = setting("{prefix}_MAX_IMAGE_BYTES", 2 * 1024 * 1024, parse=int_range(1))
    # Uploaded photos (imageIds) kept; the oldest are forgotten.
    upload_store_size: int = setting("{prefix}_UPLOAD_STORE_SIZE", 1000, parse=int_range(1))
    # Side (pixels) of the offers' drawn pictures.
    offer_image_side: int = setting("{prefix}_OFFER_IMAGE_SIDE", 256, parse=int_range(32, 1200))
    # --- limits ---
    # Daily calls per app and API (China day); 0 = unlimited.
    budget_default: int = setting("{prefix}_BUDGET_DEFAULT", 5000, parse=int_range(0))
    # Daily calls per API, API=N; other APIs get FF_SANDBOX_BUDGET_DEFAULT.
    budgets: tuple[tuple[str, int], ...] = setting(
        "{prefix}_BUDGETS", parse_counts(DEFAULT_BUDGETS), parse=parse_counts
    )
    # Calls per second per app and API; 0 = unlimited.
    qps_default: int = setting("{prefix}_QPS_DEFAULT", 20, parse=int_range(0))
    # Calls per second per API, API=N; other APIs get FF_SANDBOX_QPS_DEFAULT.
    qps: tuple[tuple[str, int], ...] = setting("{prefix}_QPS", (), parse=parse_counts)
    # --- behaviour knobs (all changeable at run time through the admin API) ---
    # Added latency of every call, in milliseconds (changeable at run time).
    latency_ms: float = setting("{prefix}_LATENCY_MS", 0.0, parse=float_range(0))
    # Random extra latency up to this many milliseconds.
    jitter_ms: float = setting("{prefix}_JITTER_MS", 0.0, parse=float_range(0))
    # Simulate peak hours: latency multiplied by FF_SANDBOX_PEAK_FACTOR.
    peak_mode: bool = setting("{prefix}_PEAK_MODE", False, parse=parse_bool)
    # Latency multiplier in peak mode.
    peak_factor: float = setting("{prefix}_PEAK_FACTOR", 4.0, parse=float_range(1))
    # Latency multiplier for a pageSize over the limit.
    large_page_latency_factor: float = setting(
        "{prefix}_LARGE_PAGE_LATENCY_FACTOR", 2.0, parse=float_range(1)
    )
    # Share of calls answered with an HTTP 5xx (0-1).
    fault_5xx_rate: float = setting("{prefix}_FAULT_5XX_RATE", 0.0, parse=float_range(0, 1))
    # Share of calls that hang for FF_SANDBOX_HANG_SECONDS (0-1).
    fault_hang_rate: float = setting("{prefix}_FAULT_HANG_RATE", 0.0, parse=float_range(0, 1))
    # Share of calls answered with malformed JSON (0-1).
    fault_malformed_rate: float = setting(
        "{prefix}_FAULT_MALFORMED_RATE", 0.0, parse=float_range(0, 1)
    )
    # Chance a call starts a rate-limit storm of FF_SANDBOX_STORM_SECONDS (0-1).
    fault_storm_rate: float = setting("{prefix}_FAULT_STORM_RATE", 0.0, parse=float_range(0, 1))
    # How long a hanging call hangs.
    hang_seconds: float = setting("{prefix}_HANG_SECONDS", 60.0, parse=float_range(0))
    # How long a rate-limit storm refuses every call.
    storm_seconds: float = setting("{prefix}_STORM_SECONDS", 2.0, parse=float_range(0))
    # Requests kept in the log the admin API shows.
    request_log_size: int = setting("{prefix}_REQUEST_LOG_SIZE", 10_000, parse=int_range(1))


def setting_fields() -> list[dataclasses.Field[object]]:
    """The dataclass fields read from the environment, in declaration order."""
    return [f for f in dataclasses.fields(SandboxSettings) if f.metadata]


def budgets_by_api(settings: SandboxSettings) -> Callable[[str], int]:
    """The daily budget of an API (0 = unlimited)."""
    table = dict(settings.budgets)
    return lambda api: table.get(api, settings.budget_default)


def qps_by_api(settings: SandboxSettings) -> Callable[[str], int]:
    """The per-second limit of an API (0 = unlimited)."""
    table = dict(settings.qps)
    return lambda api: table.get(api, settings.qps_default)
