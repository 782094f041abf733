"""Signed, budgeted, rate-limited, retried calls to the 1688 Open Platform.

One :class:`~services.gateway.upstream.http.UpstreamHttp` per process (aiohttp, pooled
keep-alive connections). Each attempt, in this order:

1. a fast refusal when the API's circuit breaker is open;
2. a token from the app key's shared QPS bucket, and the access token;
3. one unit of the API's daily budget taken in the store and marked sent, in
   one durable step (a crash after it leaves the unit spent), then the breaker's
   permission (half-open lets one probe through; a refusal gives the unit back);
   or, when the caller already holds a unit (reserved earlier, quota_ledger.py),
   the breaker's permission and then that unit marked sent (durably): a crash
   before this point gives it back on restart, a crash after it leaves it spent;
4. the signed form POST, bounded by the connect/read timeouts and by what is
   left of the caller's deadline.

A unit is refunded only when the request certainly never left (connect
errors, the rate limit or breaker refusing). A 401 refreshes the token and
tries once more; a stale timestamp re-calibrates the clock against
``system/currentTime`` and tries once more; ``gw.NoUsageLeftError`` marks the
API exhausted until the reset; ``gw.QosAppFrequencyLimit`` pauses every caller
(every replica). Other transient failures are retried per :mod:`retry_policy`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from opentelemetry import trace

from services.gateway.offers.parsing import decode_body, parse_server_time_ms
from services.gateway.store.quota_ledger import QuotaLedger, Reservation
from services.gateway.upstream import form as form_body
from services.gateway.upstream import metrics as upstream_metrics
from services.gateway.upstream.circuit_breaker import CircuitBreaker
from services.gateway.upstream.errors import (
    CIRCUIT_OPEN,
    DEADLINE_EXCEEDED,
    NO_USAGE_LEFT_CODE,
    RATE_LIMITED,
    TOKEN_EXPIRED,
    UNAVAILABLE,
    RateLimitTimeout,
    UpstreamError,
    UpstreamMalformed,
    classify,
)
from services.gateway.upstream.http import HttpFailure, Reply, UpstreamHttp
from services.gateway.upstream.retry import RetryPolicy
from shared.aop_signing import SIGNATURE_PARAM, TIMESTAMP_PARAM, sign, url_path
from shared.json_logging import request_id_var

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class Api:
    namespace: str
    name: str


CROSSBORDER = "com.alibaba.fenxiao.crossborder"
IMAGE_UPLOAD = Api(CROSSBORDER, "product.image.upload")
IMAGE_QUERY = Api(CROSSBORDER, "product.search.imageQuery")
QUERY_DETAIL = Api(CROSSBORDER, "product.search.queryProductDetail")
PRODUCT_GET = Api("com.alibaba.product", "alibaba.product.get")
CURRENT_TIME = Api("system", "currentTime")
BREAKER_APIS = (IMAGE_UPLOAD, IMAGE_QUERY, QUERY_DETAIL, PRODUCT_GET)
# HTTP header with our request id on every upstream call (the sandbox logs it).
REQUEST_ID_HEADER = "x-request-id"


class CallRate(Protocol):
    """The shared QPS limit (services/gateway/upstream/rate_limit.py)."""

    async def acquire(self, deadline_monotonic: float | None = None) -> None: ...

    def back_off(self, seconds: float) -> None: ...


class AccessTokens(Protocol):
    async def access_token(self) -> str: ...

    async def refresh(self, stale: str) -> str: ...

    def secrets(self) -> list[str]: ...


@dataclass
class CallContext:
    """One caller's request: tenant, deadline (``time.monotonic()``) and what it spent.

    ``journal`` is told of every answered call too: idempotency.py keeps there
    what all attempts of the request with ``idempotency_key`` spent (this one is
    attempt number ``attempt``).
    """

    tenant: str
    deadline: float | None
    spent: Counter[str] = field(default_factory=Counter)
    idempotency_key: str = ""
    attempt: int = 1
    journal: Callable[[str], Awaitable[None]] | None = None

    async def note_spent(self, api: str) -> None:
        self.spent[api] += 1
        if self.journal is not None:
            await self.journal(api)

    def remaining(self, now: float) -> float | None:
        return None if self.deadline is None else self.deadline - now


@dataclass(frozen=True)
class Timeouts:
    connect_s: float
    read_s: float


@dataclass
class _Attempt:
    """Per-call state of the retry loop."""

    held: Reservation | None
    token: str = ""
    made: int = 0
    refreshed: bool = False
    recalibrated: bool = False
    last: UpstreamError | None = None


class UpstreamClient:
    def __init__(
        self,
        http: UpstreamHttp,
        base_url: str,
        app_key: str,
        app_secret: str,
        ledger: QuotaLedger,
        limiter: CallRate,
        breakers: Mapping[str, CircuitBreaker],
        policy: RetryPolicy,
        timeouts: Timeouts,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._app_key = app_key
        self._secret = app_secret
        self._ledger = ledger
        self._limiter = limiter
        self._breakers = breakers
        self._policy = policy
        self._timeouts = timeouts
        self._monotonic = monotonic
        self._wall = wall
        self._sleep = sleep
        self._uniform = uniform
        self._tokens: AccessTokens | None = None
        self.clock_skew_s = 0.0

    def use_tokens(self, tokens: AccessTokens) -> None:
        self._tokens = tokens

    def breaker(self, api: str) -> CircuitBreaker | None:
        return self._breakers.get(api)

    def scrub(self, text: str) -> str:
        """``text`` with the app secret and tokens blanked out."""
        secrets = [self._secret, *(self._tokens.secrets() if self._tokens else [])]
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text

    # --- the retry loop ----------------------------------------------------------------

    async def call(
        self,
        api: Api,
        params: Mapping[str, str],
        ctx: CallContext,
        *,
        held: Reservation | None = None,
    ) -> Any:
        """The decoded JSON of a successful call; UpstreamError, QuotaExhausted otherwise.

        ``held`` is a unit of ``api`` the caller reserved already (it pays for the
        first attempt; the caller's refund duty ends when this method is entered).
        """
        state = _Attempt(held)
        # One span per call, retries included (each one an event on it).
        with _tracer.start_as_current_span(
            f"1688 {api.name}",
            kind=trace.SpanKind.CLIENT,
            attributes={"factoryfinder.upstream.api": f"{api.namespace}:{api.name}"},
        ) as span:
            try:
                while True:
                    try:
                        return await self._attempt(api, params, ctx, state)
                    except UpstreamError as error:
                        state.last = error
                        wait = await self._after_failure(api, ctx, state, error)
                        if wait is None:
                            raise
                        upstream_metrics.UPSTREAM_RETRIES.labels(api.name, error.reason).inc()
                        fields = {"api": api.name, "error": str(error), "attempt": state.made}
                        log.info("upstream call failed, retrying", extra={"fields": fields})
                        span.add_event("retry", {"reason": error.reason, "wait_s": wait})
                        await self._sleep(wait)
            finally:
                span.set_attribute("factoryfinder.upstream.attempts", state.made)
                if state.held is not None:
                    await self._ledger.refund(api.name, ctx.tenant, state.held)

    async def _after_failure(
        self, api: Api, ctx: CallContext, state: _Attempt, error: UpstreamError
    ) -> float | None:
        """What to do after a failed attempt: seconds to wait before the next, or None."""
        if error.reason == TOKEN_EXPIRED and not state.refreshed and self._tokens is not None:
            state.refreshed = True
            await self._tokens.refresh(state.token)
            return 0.0
        if error.stale_timestamp and not state.recalibrated:
            state.recalibrated = True
            await self.calibrate_clock(ctx)
            return 0.0
        if error.upstream_code == NO_USAGE_LEFT_CODE:
            await self._ledger.mark_exhausted(api.name)
            return None
        if error.reason == RATE_LIMITED:
            # The pause every caller now keeps is also what the caller hears if we give up
            # (errors.proto promises a RetryInfo with UPSTREAM_RATE_LIMITED).
            error.retry_after = error.retry_after or self._policy.frequency_backoff_s
            self._limiter.back_off(error.retry_after)
        return self._policy.delay(
            state.made, error, ctx.remaining(self._monotonic()), self._uniform
        )

    async def _attempt(
        self, api: Api, params: Mapping[str, str], ctx: CallContext, state: _Attempt
    ) -> Any:
        breaker = self._breakers.get(api.name)
        if breaker is not None and breaker.state == "open":
            raise self._circuit_open(api, breaker)
        try:
            await self._limiter.acquire(ctx.deadline)
        except RateLimitTimeout as exc:
            raise UpstreamError(
                RATE_LIMITED,
                "the app's call rate is saturated",
                api=api.name,
                reached=False,
                retry_after=exc.retry_after,
            ) from None
        token = await self._tokens.access_token() if self._tokens is not None else ""
        state.token = token
        if state.held is None:
            # The unit is taken only now that nothing but the write is left to wait for,
            # so it is taken and marked sent in one durable step.
            reservation = await self._ledger.reserve(api.name, ctx.tenant, sent=True)
            if breaker is not None and not breaker.allow():
                await self._ledger.refund(api.name, ctx.tenant, reservation)
                raise self._circuit_open(api, breaker)
        else:
            if breaker is not None and not breaker.allow():
                raise self._circuit_open(api, breaker)
            # Still held while confirming: if that is cut short, call() gives the unit back.
            reservation = await self._confirm(api, ctx, state.held)
            state.held = None
        state.made += 1
        try:
            body = await self._send(api, params, token, ctx)
        except UpstreamError as error:
            self._record(api, breaker, error)
            if error.reached:
                await ctx.note_spent(api.name)
            else:
                await self._ledger.refund(api.name, ctx.tenant, reservation)
            raise
        await ctx.note_spent(api.name)
        self._record(api, breaker, None)
        return body

    async def _confirm(self, api: Api, ctx: CallContext, held: Reservation) -> Reservation:
        """Mark the unit sent; one released meanwhile (we were taken for dead) is taken anew,
        sent in the same step."""
        confirmed = await self._ledger.sent(held)
        if confirmed is not None:
            return confirmed
        return await self._ledger.reserve(api.name, ctx.tenant, sent=True)

    def _circuit_open(self, api: Api, breaker: CircuitBreaker) -> UpstreamError:
        return UpstreamError(
            CIRCUIT_OPEN,
            "calls are suspended after repeated failures",
            api=api.name,
            reached=False,
            retry_after=breaker.retry_after(),
        )

    def _record(
        self, api: Api, breaker: CircuitBreaker | None, error: UpstreamError | None
    ) -> None:
        upstream_metrics.UPSTREAM_CALLS.labels(
            api.name, "ok" if error is None else error.reason
        ).inc()
        if breaker is None:
            return
        # Only failures of the upstream itself count; a refusal (even "too frequent")
        # proves it is up.
        if error is not None and error.transient and error.reason != RATE_LIMITED:
            breaker.record_failure()
        else:
            breaker.record_success()

    # --- one HTTP exchange -------------------------------------------------------------

    def timestamp_ms(self) -> int:
        """``_aop_timestamp``: our clock corrected by the calibrated skew."""
        return int((self._wall() + self.clock_skew_s) * 1000)

    def signed_form(self, api: Api, params: Mapping[str, str], token: str) -> dict[str, str]:
        form = dict(params)
        if token:
            form["access_token"] = token
        form[TIMESTAMP_PARAM] = str(self.timestamp_ms())
        path = url_path(api.namespace, api.name, self._app_key)
        form[SIGNATURE_PARAM] = sign(path, form, self._secret)
        return form

    def _timeout(self, api: Api, ctx: CallContext) -> float:
        remaining = ctx.remaining(self._monotonic())
        budget = self._timeouts.connect_s + self._timeouts.read_s
        if remaining is None:
            return budget
        if remaining <= 0:
            raise UpstreamError(
                DEADLINE_EXCEEDED, "the caller's deadline passed", api=api.name, reached=False
            )
        return min(budget, remaining)

    async def _send(self, api: Api, params: Mapping[str, str], token: str, ctx: CallContext) -> Any:
        total = self._timeout(api, ctx)
        url = f"{self._base}/{url_path(api.namespace, api.name, self._app_key)}"
        body = form_body.encode(self.signed_form(api, params, token))
        headers = {"Content-Type": form_body.CONTENT_TYPE}
        # The caller's request id, so the upstream's (the sandbox's) request log can be
        # matched with our requests; it is a random id, never a secret.
        if request_id := request_id_var.get():
            headers[REQUEST_ID_HEADER] = request_id
        started = self._monotonic()
        try:
            response = await self._http.post(
                url,
                body,
                headers,
                connect_s=self._timeouts.connect_s,
                read_s=self._timeouts.read_s,
                total_s=total,
            )
        except HttpFailure as exc:
            raise self._transport_error(api, exc) from None
        finally:
            upstream_metrics.UPSTREAM_LATENCY.labels(api.name).observe(self._monotonic() - started)
        return self._read(api, response)

    def _transport_error(self, api: Api, exc: HttpFailure) -> UpstreamError:
        what = (
            "timed out"
            if exc.timed_out
            else ("cannot connect" if not exc.reached else "connection failed")
        )
        return UpstreamError(
            UNAVAILABLE,
            f"{what} ({exc})",
            api=api.name,
            transient=True,
            reached=exc.reached,
        )

    def _read(self, api: Api, response: Reply) -> Any:
        try:
            body = decode_body(api.name, response.content)
        except UpstreamMalformed:
            # An HTTP error with an HTML page or nothing: what its status says.
            error = classify(api.name, response.status, None)
            if error is not None:
                raise error from None
            raise
        error = classify(api.name, response.status, body, self.scrub)
        if error is not None:
            raise error
        return body

    async def calibrate_clock(self, ctx: CallContext | None = None) -> float:
        """Measure the upstream clock against ours (``system/currentTime``); returns the skew."""
        ctx = ctx or CallContext(tenant="", deadline=self._monotonic() + self._timeouts.connect_s)
        before = self._wall()
        body = await self._send(CURRENT_TIME, {}, "", ctx)
        after = self._wall()
        server_s = parse_server_time_ms(CURRENT_TIME.name, body) / 1000
        self.clock_skew_s = server_s - (before + after) / 2
        upstream_metrics.CLOCK_SKEW.set(self.clock_skew_s)
        log.info("clock calibrated", extra={"fields": {"skew_s": round(self.clock_skew_s, 3)}})
        return self.clock_skew_s
