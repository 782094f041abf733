"""Everything one running sandbox holds, built from its settings."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from services.sandbox.catalog.loader import LoadedCatalog, load_catalog
from services.sandbox.openapi.clock import SandboxClock
from services.sandbox.openapi.faults import FaultInjector, FaultPlan
from services.sandbox.openapi.limits import Limits
from services.sandbox.openapi.request_log import RequestLog
from services.sandbox.openapi.tokens import TokenLifetimes, TokenStore
from services.sandbox.search.relevance import offer_boost
from services.sandbox.search.uploads import UploadStore
from services.sandbox.settings import SandboxSettings, budgets_by_api, qps_by_api


@dataclass
class SandboxState:
    settings: SandboxSettings
    clock: SandboxClock
    loaded: LoadedCatalog
    uploads: UploadStore
    tokens: TokenStore
    limits: Limits
    faults: FaultInjector
    log: RequestLog
    apps: dict[str, str]
    declined: set[tuple[str, str]] = field(default_factory=set)
    # imageQuery rows without their per-request imageUrl/traceInfo, built once per offer.
    search_rows: dict[int, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> SandboxState:
        clock = SandboxClock()
        loaded = load_catalog(settings.seed, settings.catalog_offers, settings.cache_dir)
        lifetimes = TokenLifetimes(
            access_seconds=settings.access_token_seconds,
            refresh_seconds=settings.refresh_token_seconds,
            code_seconds=settings.auth_code_seconds,
            postpone_window_days=settings.postpone_window_days,
        )
        return cls(
            settings=settings,
            clock=clock,
            loaded=loaded,
            uploads=UploadStore(
                loaded.index,
                offer_boost(loaded.catalog),
                settings.upload_store_size,
                settings.seed,
            ),
            tokens=TokenStore(clock, lifetimes),
            limits=Limits(clock, qps_by_api(settings), budgets_by_api(settings)),
            faults=FaultInjector(FaultPlan.from_settings(settings), random.Random(settings.seed)),
            log=RequestLog(settings.request_log_size),
            apps=dict(settings.apps),
            declined=set(settings.acl_decline),
        )

    def success(self, as_string: bool) -> bool | str:
        """The ``success`` flag in the configured style ([?] ``true`` or ``"true"``).

        ``as_string`` is the API's own habit in the default ``mixed`` style.
        """
        style = self.settings.success_style
        return "true" if style == "string" or (style == "mixed" and as_string) else True

    def failure(self, as_string: bool) -> bool | str:
        style = self.settings.success_style
        return "false" if style == "string" or (style == "mixed" and as_string) else False
