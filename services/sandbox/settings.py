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

    host: str = setting("{prefix}_HOST", "127.0.0.1")
    port: int = setting("{prefix}_PORT", 0, parse=int_range(0, 65535))
    public_url: str = setting("{prefix}_PUBLIC_URL", "")
    log_level: str = setting(
        "{prefix}_LOG_LEVEL", "INFO", parse=one_of("DEBUG", "INFO", "WARNING", "ERROR")
    )
    admin_token: str = setting("{prefix}_ADMIN_TOKEN", "", secret=True)
    # Catalog.
    seed: int = setting("{prefix}_SEED", 1688, parse=int)
    catalog_offers: int = setting("{prefix}_CATALOG_OFFERS", 3200, parse=int_range(10, 200_000))
    cache_dir: str = setting("{prefix}_CACHE_DIR", _default_cache_dir(), parse=parse_cache_dir)
    # Apps, OAuth and signing.
    apps: tuple[tuple[str, str], ...] = setting(
        "{prefix}_APPS", (("1234567", "AbCdEf123456"),), parse=parse_apps, secret=True
    )
    acl_decline: tuple[tuple[str, str], ...] = setting(
        "{prefix}_ACL_DECLINE", (), parse=parse_pairs
    )
    access_token_seconds: float = setting(
        "{prefix}_ACCESS_TOKEN_SECONDS", 36000.0, parse=float_range(1)
    )
    refresh_token_seconds: float = setting(
        "{prefix}_REFRESH_TOKEN_SECONDS", 180 * 86400.0, parse=float_range(1)
    )
    auth_code_seconds: float = setting("{prefix}_AUTH_CODE_SECONDS", 600.0, parse=float_range(1))
    postpone_window_days: float = setting(
        "{prefix}_POSTPONE_WINDOW_DAYS", 30.0, parse=float_range(0)
    )
    refresh_param: str = setting(
        "{prefix}_REFRESH_PARAM", "both", parse=one_of("refresh_token", "refreshToken", "both")
    )
    timestamp_max_skew_seconds: float = setting(
        "{prefix}_TIMESTAMP_MAX_SKEW_SECONDS", 600.0, parse=float_range(0)
    )
    require_timestamp: bool = setting("{prefix}_REQUIRE_TIMESTAMP", False, parse=parse_bool)
    # Response shapes the protocol note leaves open.
    success_style: str = setting(
        "{prefix}_SUCCESS_STYLE", "mixed", parse=one_of("mixed", "bool", "string")
    )
    upload_refusal_shape: str = setting(
        "{prefix}_UPLOAD_REFUSAL_SHAPE", "mixed", parse=one_of("mixed", "zero_id", "no_id")
    )
    emit_similarity: bool = setting("{prefix}_EMIT_SIMILARITY", True, parse=parse_bool)
    search_address: bool = setting("{prefix}_SEARCH_ADDRESS", True, parse=parse_bool)
    page_size_limit: int = setting("{prefix}_PAGE_SIZE_LIMIT", 50, parse=int_range(1, 500))
    page_size_over_limit: str = setting(
        "{prefix}_PAGE_SIZE_OVER_LIMIT", "clamp", parse=one_of("clamp", "error")
    )
    linkplus_page_size_limit: int = setting(
        "{prefix}_LINKPLUS_PAGE_SIZE_LIMIT", 20, parse=int_range(1, 500)
    )
    search_max_results: int = setting(
        "{prefix}_SEARCH_MAX_RESULTS", 500, parse=int_range(1, 200_000)
    )
    # Images.
    min_image_side: int = setting("{prefix}_MIN_IMAGE_SIDE", 800, parse=int_range(1, 10_000))
    max_image_bytes: int = setting("{prefix}_MAX_IMAGE_BYTES", 2 * 1024 * 1024, parse=int_range(1))
    upload_store_size: int = setting("{prefix}_UPLOAD_STORE_SIZE", 1000, parse=int_range(1))
    offer_image_side: int = setting("{prefix}_OFFER_IMAGE_SIDE", 256, parse=int_range(32, 1200))
    # Limits.
    budget_default: int = setting("{prefix}_BUDGET_DEFAULT", 5000, parse=int_range(0))
    budgets: tuple[tuple[str, int], ...] = setting(
        "{prefix}_BUDGETS", parse_counts(DEFAULT_BUDGETS), parse=parse_counts
    )
    qps_default: int = setting("{prefix}_QPS_DEFAULT", 20, parse=int_range(0))
    qps: tuple[tuple[str, int], ...] = setting("{prefix}_QPS", (), parse=parse_counts)
    # Behaviour knobs (all changeable at run time through the admin API).
    latency_ms: float = setting("{prefix}_LATENCY_MS", 0.0, parse=float_range(0))
    jitter_ms: float = setting("{prefix}_JITTER_MS", 0.0, parse=float_range(0))
    peak_mode: bool = setting("{prefix}_PEAK_MODE", False, parse=parse_bool)
    peak_factor: float = setting("{prefix}_PEAK_FACTOR", 4.0, parse=float_range(1))
    large_page_latency_factor: float = setting(
        "{prefix}_LARGE_PAGE_LATENCY_FACTOR", 2.0, parse=float_range(1)
    )
    fault_5xx_rate: float = setting("{prefix}_FAULT_5XX_RATE", 0.0, parse=float_range(0, 1))
    fault_hang_rate: float = setting("{prefix}_FAULT_HANG_RATE", 0.0, parse=float_range(0, 1))
    fault_malformed_rate: float = setting(
        "{prefix}_FAULT_MALFORMED_RATE", 0.0, parse=float_range(0, 1)
    )
    fault_storm_rate: float = setting("{prefix}_FAULT_STORM_RATE", 0.0, parse=float_range(0, 1))
    hang_seconds: float = setting("{prefix}_HANG_SECONDS", 60.0, parse=float_range(0))
    storm_seconds: float = setting("{prefix}_STORM_SECONDS", 2.0, parse=float_range(0))
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
