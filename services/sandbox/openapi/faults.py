"""Injected trouble: latency, 5xx, hangs, malformed JSON and rate-limit storms.

Each knob is a rate (0-1) or a duration, set at start from the settings and
changed at run time through the admin API. Per call, in this order:

- latency: ``latency_ms`` + uniform(0, ``jitter_ms``), times ``peak_factor``
  in peak-hours mode and times ``large_page_latency_factor`` when a search
  asks for more than the page-size limit (the note: > 50 doubles latency);
- a rate-limit *storm*: with ``fault_storm_rate`` a storm starts for the app
  key and every call of that key gets ``gw.QosAppFrequencyLimit`` for
  ``storm_seconds`` (host time, so a frozen sandbox clock cannot make it last
  forever);
- a hang: with ``fault_hang_rate`` the call sleeps ``hang_seconds`` (past any
  sane client timeout) and then answers 504;
- a 5xx: with ``fault_5xx_rate`` the call answers 500 (JSON error body),
  502 or 503 (the HTML page of the front proxy);
- malformed: with ``fault_malformed_rate`` the real answer is cut in half.

``apis`` limits injection to some API names (empty = all). Draws come from
one ``random.Random`` seeded from the settings, so a run is repeatable.
"""

from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass
from typing import Any

from services.sandbox.settings import SandboxSettings

FAULT_KINDS = ("storm", "hang", "5xx", "malformed")


@dataclass
class FaultPlan:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    peak_mode: bool = False
    peak_factor: float = 4.0
    large_page_latency_factor: float = 2.0
    fault_5xx_rate: float = 0.0
    fault_hang_rate: float = 0.0
    fault_malformed_rate: float = 0.0
    fault_storm_rate: float = 0.0
    hang_seconds: float = 60.0
    storm_seconds: float = 2.0
    apis: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> FaultPlan:
        names = {f.name for f in dataclasses.fields(cls)} - {"apis"}
        return cls(**{name: getattr(settings, name) for name in names})

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update; raises ValueError naming a bad field."""
        known = {f.name: f for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown fault setting: {name}")
            setattr(self, name, _coerce(name, value))

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["apis"] = list(self.apis)
        return data


def _coerce(name: str, value: Any) -> Any:
    if name == "apis":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("apis must be a list of API names")
        return tuple(value)
    if name == "peak_mode":
        if not isinstance(value, bool):
            raise ValueError("peak_mode must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} must be a number >= 0")
    if name.endswith("_rate") and value > 1:
        raise ValueError(f"{name} must be between 0 and 1")
    if name.endswith("_factor") and value < 1:
        raise ValueError(f"{name} must be >= 1")
    return float(value)


class FaultInjector:
    def __init__(self, plan: FaultPlan, rng: random.Random) -> None:
        self.plan = plan
        self._rng = rng
        self._storm_until: dict[str, float] = {}

    def _applies(self, api: str) -> bool:
        return not self.plan.apis or api in self.plan.apis

    def delay_seconds(self, api: str, large_page: bool) -> float:
        if not self._applies(api):
            return 0.0
        plan = self.plan
        millis = plan.latency_ms + (self._rng.uniform(0, plan.jitter_ms) if plan.jitter_ms else 0.0)
        if plan.peak_mode:
            millis *= plan.peak_factor
        if large_page:
            millis *= plan.large_page_latency_factor
        return millis / 1000.0

    def pick(self, app_key: str, api: str) -> str | None:
        """The fault to inject into this call, if any (one of ``FAULT_KINDS``)."""
        if not self._applies(api):
            return None
        plan = self.plan
        now = time.monotonic()
        if self._storm_until.get(app_key, 0.0) > now:
            return "storm"
        if plan.fault_storm_rate and self._rng.random() < plan.fault_storm_rate:
            self._storm_until[app_key] = now + plan.storm_seconds
            return "storm"
        for kind, rate in (
            ("hang", plan.fault_hang_rate),
            ("5xx", plan.fault_5xx_rate),
            ("malformed", plan.fault_malformed_rate),
        ):
            if rate and self._rng.random() < rate:
                return kind
        return None

    def server_error(self) -> tuple[int, str, str]:
        """(status, content type, body) of an injected 5xx."""
        status = self._rng.choice((500, 502, 503))
        if status == 500:
            body = '{"error_code":"500","error_message":"Internal Server Error","exception":"Internal Server Error"}'
            return status, "application/json", body
        title = "502 Bad Gateway" if status == 502 else "503 Service Temporarily Unavailable"
        page = f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center><hr><center>Tengine</center></body></html>"
        return status, "text/html", page
