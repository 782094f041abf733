"""A small typed client for the sandbox's admin API (for tests and the launcher).

Admin endpoints (JSON; ``Authorization: Bearer <token>`` when the sandbox
has an ``admin_token``; errors are ``{"error": "..."}`` with 400/401/404):

==========================================  =====================================================
``GET  /admin/health``                      ``{"status": "ok", "offers", "products", "seed"}``
``POST /admin/apps/{appKey}/auth-code``     a fresh authorization code: ``{"code", "expires_in"}``
``POST /admin/apps/{appKey}/tokens``        a token pair, shaped like getToken's answer
``GET  /admin/faults``                      the fault plan (see ``faults.FaultPlan``)
``POST /admin/faults``                      partial update, e.g. ``{"fault_5xx_rate": 0.2}``
``GET  /admin/calls``                       ``{"counts": {appKey: {api: n}}}``, every request
``GET  /admin/requests?since=&api=``        ``{"requests": [{"seq", "app_key", "api", "method",
                                            "start", "end", "status", "error_code",
                                            "request_id"}]}``; request_id: the caller's
                                            ``x-request-id`` header ("" without one);
                                            start/end: the sandbox's ``time.monotonic()``
                                            (system-wide on Linux, so comparable across
                                            processes on one host)
``GET  /admin/usage``                       today's budget use ``{"usage": {appKey: {api:
                                            {"used", "budget", "day"}}}}``
``POST /admin/reset``                       clears counts, log, QPS windows and budgets;
                                            ``{"faults": true}`` restores the started fault
                                            plan, ``{"clock": true}`` the host clock
``GET  /admin/clock``                       ``{"now", "epoch", "frozen", "china_day"}``
``POST /admin/clock``                       ``{"advance_seconds": s}``, ``{"set": iso, "frozen":
                                            bool}``, ``{"frozen": bool}`` or ``{"reset": true}``
``POST /admin/acl``                         ``{"app_key", "api", "allowed"}`` → ``{"declined"}``
``GET  /admin/catalog?offset=&limit=``      products with their offers and the ground truth
                                            (seller kind, customizable, bizType, text ladder)
==========================================  =====================================================
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import TracebackType
from typing import Any

import httpx


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_token_timeout: str


@dataclass(frozen=True)
class LoggedCall:
    seq: int
    app_key: str
    api: str
    method: str
    start: float
    end: float | None
    status: int | None
    error_code: str | None
    request_id: str = ""  # the caller's x-request-id header


@dataclass(frozen=True)
class ClockView:
    now: datetime
    epoch: float
    frozen: bool
    china_day: str


class SandboxAdminError(RuntimeError):
    """The admin API refused a request."""


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: building one reads the CA store."""
    return ssl.create_default_context()


class SandboxAdmin:
    def __init__(self, base_url: str, admin_token: str = "", timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout, verify=tls_context()
        )

    async def __aenter__(self) -> SandboxAdmin:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        if response.status_code != 200:
            raise SandboxAdminError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    async def health(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/admin/health")
        return result

    async def mint_auth_code(self, app_key: str) -> str:
        """A single-use authorization code for the OAuth code exchange."""
        return str((await self._call("POST", f"/admin/apps/{app_key}/auth-code"))["code"])

    async def mint_tokens(self, app_key: str) -> TokenPair:
        body = await self._call("POST", f"/admin/apps/{app_key}/tokens")
        return TokenPair(
            body["access_token"],
            body["refresh_token"],
            int(body["expires_in"]),
            body["refresh_token_timeout"],
        )

    async def faults(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", "/admin/faults")
        return result

    async def set_faults(self, **changes: Any) -> dict[str, Any]:
        """E.g. ``set_faults(latency_ms=200, fault_5xx_rate=0.1, apis=["product.image.upload"])``."""
        result: dict[str, Any] = await self._call("POST", "/admin/faults", json=changes)
        return result

    async def call_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = (await self._call("GET", "/admin/calls"))["counts"]
        return counts

    async def call_count(self, app_key: str, api: str) -> int:
        return (await self.call_counts()).get(app_key, {}).get(api, 0)

    async def requests(self, since: int = 0, api: str | None = None) -> list[LoggedCall]:
        params: dict[str, str | int] = {"since": since}
        if api is not None:
            params["api"] = api
        body = await self._call("GET", "/admin/requests", params=params)
        return [LoggedCall(**entry) for entry in body["requests"]]

    async def usage(self) -> dict[str, dict[str, dict[str, Any]]]:
        usage: dict[str, dict[str, dict[str, Any]]] = (await self._call("GET", "/admin/usage"))[
            "usage"
        ]
        return usage

    async def reset(self, *, faults: bool = False, clock: bool = False) -> None:
        await self._call("POST", "/admin/reset", json={"faults": faults, "clock": clock})

    async def _clock(self, body: dict[str, Any] | None) -> ClockView:
        if body is None:
            data = await self._call("GET", "/admin/clock")
        else:
            data = await self._call("POST", "/admin/clock", json=body)
        return ClockView(
            datetime.fromisoformat(data["now"]), data["epoch"], data["frozen"], data["china_day"]
        )

    async def clock(self) -> ClockView:
        return await self._clock(None)

    async def advance_clock(self, seconds: float) -> ClockView:
        return await self._clock({"advance_seconds": seconds})

    async def set_clock(self, moment: datetime, *, frozen: bool = True) -> ClockView:
        """Jump to ``moment`` (aware); frozen stays there until moved again."""
        return await self._clock({"set": moment.isoformat(), "frozen": frozen})

    async def freeze_clock(self, frozen: bool = True) -> ClockView:
        return await self._clock({"frozen": frozen})

    async def reset_clock(self) -> ClockView:
        return await self._clock({"reset": True})

    async def set_acl(self, app_key: str, api: str, *, allowed: bool) -> list[tuple[str, str]]:
        body = await self._call(
            "POST", "/admin/acl", json={"app_key": app_key, "api": api, "allowed": allowed}
        )
        return [(pair[0], pair[1]) for pair in body["declined"]]

    async def catalog(self, offset: int = 0, limit: int = 100) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", "/admin/catalog", params={"offset": offset, "limit": limit}
        )
        return result
