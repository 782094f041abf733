"""Aggregator settings (env prefix FF_AGGREGATOR)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared.config import ServerSettings, float_range, int_range, parse_list, setting


@dataclass(frozen=True)
class AggregatorSettings(ServerSettings):
    ENV_PREFIX: ClassVar[str] = "FF_AGGREGATOR"

    # host:port of every preprocess replica, comma-separated (required).
    preprocess_addresses: list[str] = setting("{prefix}_PREPROCESS_ADDRESSES", parse=parse_list)
    # host:port of every gateway replica, comma-separated (required).
    gateway_addresses: list[str] = setting("{prefix}_GATEWAY_ADDRESSES", parse=parse_list)
    # host:port of every ranking replica, comma-separated (required).
    ranking_addresses: list[str] = setting("{prefix}_RANKING_ADDRESSES", parse=parse_list)
    # host:port of every planning replica, comma-separated (required).
    planning_addresses: list[str] = setting("{prefix}_PLANNING_ADDRESSES", parse=parse_list)
    # "key:tenant" entries, comma- or newline-separated (or a file of them via
    # FF_AGGREGATOR_API_KEYS_FILE); never logged.
    api_keys: str = setting("{prefix}_API_KEYS", "", secret=True)
    # Used when the caller set no deadline; a caller's longer deadline is capped to max.
    default_deadline_seconds: float = setting(
        "{prefix}_DEFAULT_DEADLINE_SECONDS", 30.0, parse=float_range(0.1, 600)
    )
    # Longest deadline a caller gets; longer ones are capped to it.
    max_deadline_seconds: float = setting(
        "{prefix}_MAX_DEADLINE_SECONDS", 120.0, parse=float_range(0.1, 3600)
    )
    # Photos of one BatchSearch stream searched at the same time.
    batch_concurrency: int = setting("{prefix}_BATCH_CONCURRENCY", 4, parse=int_range(1, 64))
    # Longest the visual comparison (preprocess CompareImages) may take, in seconds.
    compare_timeout_seconds: float = setting(
        "{prefix}_COMPARE_TIMEOUT_SECONDS", 8.0, parse=float_range(0.1, 120)
    )
    # Last seconds of a deadline kept for ranking: a slow comparison degrades, never fails.
    compare_reserve_seconds: float = setting(
        "{prefix}_COMPARE_RESERVE_SECONDS", 1.0, parse=float_range(0.0, 60)
    )
    # Most offers one PlanCustomOrder request may compare.
    max_plan_offers: int = setting("{prefix}_MAX_PLAN_OFFERS", 10, parse=int_range(1, 50))
