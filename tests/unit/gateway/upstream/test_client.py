"""The upstream client against a scripted upstream on 127.0.0.1, with a fake clock for waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.gateway.store.interface import Store, open_store
from services.gateway.store.quota_ledger import QuotaLedger
from services.gateway.upstream import errors
from services.gateway.upstream.circuit_breaker import CircuitBreaker
from services.gateway.upstream.client import (
    IMAGE_QUERY,
    CallContext,
    Timeouts,
    UpstreamClient,
)
from services.gateway.upstream.errors import QuotaExhausted
from services.gateway.upstream.http import Limits, UpstreamHttp
from services.gateway.upstream.retry import RetryPolicy
from shared.aop_signing import verify
from shared.json_logging import request_id_var
from tests.unit.gateway.fake_upstream import error_reply
from tests.unit.gateway.local_http import (
    DROP,
    Answer,
    LocalHttp,
    Received,
    Reply,
    Stall,
    json_reply,
    text_reply,
)

SECRET = "s3cr3t-app-secret"
API = IMAGE_QUERY.name
OK = {"result": {"success": True, "result": {"data": []}}}
PATH = "param2/1/com.alibaba.fenxiao.crossborder/product.search.imageQuery/app1"


class FakeTime:
    """Monotonic time that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        # Called after each sleep with the number of sleeps so far.
        self.after_sleep: Callable[[int], Awaitable[None]] | None = None

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.after_sleep is not None:
            await self.after_sleep(len(self.sleeps))


class Limiter:
    """No waiting; records back-offs (the real one is tested with the store)."""

    def __init__(self) -> None:
        self.back_offs: list[float] = []

    async def acquire(self, deadline_monotonic: float | None = None) -> None:
        return None

    def back_off(self, seconds: float) -> None:
        self.back_offs.append(seconds)


class Tokens:
    def __init__(self) -> None:
        self.token = "tok-0"
        self.refreshes = 0

    async def access_token(self) -> str:
        return self.token

    async def refresh(self, stale: str) -> str:
        self.refreshes += 1
        self.token = f"tok-{self.refreshes}"
        return self.token

    def secrets(self) -> list[str]:
        return [self.token]


@dataclass
class Upstream:
    """Answers in order (the last one repeats), recording every request."""

    replies: list[Answer]
    requests: list[dict[str, str]] = field(default_factory=list)
    headers: list[Mapping[str, str]] = field(default_factory=list)

    def handle(self, request: Received) -> Answer:
        self.requests.append(request.form)
        self.headers.append(request.headers)
        return self.replies[min(len(self.requests), len(self.replies)) - 1]


@dataclass
class Rig:
    client: UpstreamClient
    upstream: Upstream
    ledger: QuotaLedger
    breaker: CircuitBreaker
    time: FakeTime
    tokens: Tokens
    limiter: Limiter
    server: LocalHttp


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = open_store("memory://")
    yield opened
    await opened.close()


@pytest.fixture
async def server() -> AsyncIterator[LocalHttp]:
    running = LocalHttp(lambda request: text_reply("nothing scripted", 599))
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def rig_factory(store: Store, server: LocalHttp) -> AsyncIterator[Callable[..., Rig]]:
    clients: list[UpstreamHttp] = []

    def build(
        *replies: Answer, budget: int = 100, breaker_failures: int = 3, read_s: float = 2.0
    ) -> Rig:
        upstream = Upstream(list(replies))
        server.handler = upstream.handle
        http = UpstreamHttp(Limits(max_connections=10, max_keepalive=5, keepalive_expiry_s=30))
        clients.append(http)
        fake = FakeTime()
        ledger = QuotaLedger(store, {API: budget})
        limiter = Limiter()
        breaker = CircuitBreaker(API, breaker_failures, 30.0, clock=fake.monotonic)
        client = UpstreamClient(
            http,
            f"{server.url}/openapi",
            "app1",
            SECRET,
            ledger,
            limiter,
            {API: breaker},
            RetryPolicy(max_attempts=4, base_delay_s=0.1, max_delay_s=1.0, frequency_backoff_s=2),
            Timeouts(connect_s=1.0, read_s=read_s),
            monotonic=fake.monotonic,
            wall=lambda: 1_718_000_000.0,
            sleep=fake.sleep,
            uniform=lambda low, high: high,
        )
        tokens = Tokens()
        client.use_tokens(tokens)
        return Rig(client, upstream, ledger, breaker, fake, tokens, limiter, server)

    yield build
    for http in clients:
        await http.aclose()


def ctx(deadline_in: float | None = 30.0, now: float = 1000.0) -> CallContext:
    return CallContext("acme", None if deadline_in is None else now + deadline_in)


def state(breaker: CircuitBreaker) -> str:
    return breaker.state


async def used(ledger: QuotaLedger) -> int:
    app, _tenant, _reset = await ledger.usage("acme")
    return next(line.used for line in app if line.api == API)


async def test_a_signed_call(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(json_reply(OK))
    call = ctx()
    body = await rig.client.call(IMAGE_QUERY, {"offerQueryParam": '{"imageId":"1"}'}, call)
    assert body == OK
    sent = rig.upstream.requests[0]
    assert sent["access_token"] == "tok-0"
    assert sent["_aop_timestamp"] == "1718000000000"
    assert verify(PATH, sent, SECRET)
    assert call.spent == {API: 1}
    assert await used(rig.ledger) == 1


async def test_a_call_is_a_form_post_carrying_the_request_id(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(json_reply(OK))
    token = request_id_var.set("req-42")
    try:
        await rig.client.call(IMAGE_QUERY, {"offerQueryParam": '{"imageId":"1 +/="}'}, ctx())
    finally:
        request_id_var.reset(token)
    headers = rig.upstream.headers[0]
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["x-request-id"] == "req-42"
    assert rig.upstream.requests[0]["offerQueryParam"] == '{"imageId":"1 +/="}'


async def test_no_request_id_no_header(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(json_reply(OK))
    await rig.client.call(IMAGE_QUERY, {"offerQueryParam": "{}"}, ctx())
    assert "x-request-id" not in rig.upstream.headers[0]


async def test_the_timestamp_carries_the_calibrated_skew(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(json_reply({"result": 1_718_000_005_000}))
    assert await rig.client.calibrate_clock() == pytest.approx(5.0)
    assert rig.client.timestamp_ms() == 1_718_000_005_000


async def test_5xx_is_retried_with_growing_jittered_waits(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(
        text_reply("<html>bad gateway</html>", 502),
        error_reply(503, "isp.unavailable"),
        json_reply(OK),
    )
    call = ctx()
    assert await rig.client.call(IMAGE_QUERY, {}, call) == OK
    assert len(rig.upstream.requests) == 3
    assert rig.time.sleeps == [0.1, 0.2]
    assert call.spent == {API: 3}
    assert await used(rig.ledger) == 3


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (error_reply(400, "gw.SignatureInvalid"), errors.SIGNATURE_INVALID),
        (error_reply(400, "gw.SignatureMissing"), errors.SIGNATURE_INVALID),
        (error_reply(400, "gw.APIACLDecline"), errors.ACL_DECLINED),
        (error_reply(400, "gw.ParamMissing"), errors.PARAM_MISSING),
        (error_reply(400, "gw.APIUnsupported"), errors.API_UNSUPPORTED),
        (error_reply(400, "400", "RequestValidateException: bad appKey"), errors.REQUEST_INVALID),
        (text_reply("not json", 200), errors.MALFORMED),
    ],
)
async def test_permanent_failures_are_not_retried(
    rig_factory: Callable[..., Rig], reply: Reply, reason: str
) -> None:
    rig = rig_factory(reply, json_reply(OK))
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx())
    assert caught.value.reason == reason
    assert len(rig.upstream.requests) == 1
    assert rig.time.sleeps == []


async def test_connect_errors_are_retried_and_refunded(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(json_reply(OK))
    # Refused until the server is back on its port, after the second retry wait.
    await rig.server.stop()

    async def back_after(sleeps: int) -> None:
        if sleeps == 2:
            await rig.server.start()

    rig.time.after_sleep = back_after
    call = ctx()
    assert await rig.client.call(IMAGE_QUERY, {}, call) == OK
    assert call.spent == {API: 1}
    assert await used(rig.ledger) == 1


async def test_timeouts_are_retried_but_spent(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(Stall(2.0, json_reply(OK)), json_reply(OK), read_s=0.2)
    call = ctx()
    assert await rig.client.call(IMAGE_QUERY, {}, call) == OK
    assert call.spent == {API: 2}


async def test_a_connection_dropped_before_the_reply_is_retried_but_spent(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(DROP, json_reply(OK))
    call = ctx()
    assert await rig.client.call(IMAGE_QUERY, {}, call) == OK
    assert call.spent == {API: 2}
    assert len(rig.upstream.requests) == 2


async def test_the_connection_is_kept_alive_between_calls(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(json_reply(OK))
    for _ in range(3):
        await rig.client.call(IMAGE_QUERY, {}, ctx())
    assert len(rig.server.peers) == 1


async def test_retries_stop_before_the_deadline(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(text_reply("oops", 500))
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx(deadline_in=0.4))
    assert caught.value.reason == errors.UNAVAILABLE
    assert caught.value.transient
    assert rig.time.sleeps == [0.1, 0.2]
    assert sum(rig.time.sleeps) < 0.4


async def test_attempts_are_bounded(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(text_reply("oops", 500), breaker_failures=100)
    with pytest.raises(errors.UpstreamError):
        await rig.client.call(IMAGE_QUERY, {}, ctx(deadline_in=None))
    assert len(rig.upstream.requests) == 4


async def test_a_401_refreshes_once_and_retries(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(error_reply(401, "401", "Request need user authorized"), json_reply(OK))
    assert await rig.client.call(IMAGE_QUERY, {}, ctx()) == OK
    assert rig.tokens.refreshes == 1
    assert [r["access_token"] for r in rig.upstream.requests] == ["tok-0", "tok-1"]


async def test_a_second_401_is_not_refreshed_again(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(error_reply(401, "401"))
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx())
    assert caught.value.reason == errors.TOKEN_EXPIRED
    assert rig.tokens.refreshes == 1
    assert len(rig.upstream.requests) == 2


@pytest.mark.parametrize(
    "reply", [text_reply("<html><body>401 Unauthorized</body></html>", 401), text_reply("", 401)]
)
async def test_a_401_with_an_html_or_empty_body_refreshes_the_token(
    rig_factory: Callable[..., Rig], reply: Reply
) -> None:
    # Was UPSTREAM_MALFORMED_RESPONSE, never retried: the token was not refreshed.
    rig = rig_factory(reply, json_reply(OK))
    assert await rig.client.call(IMAGE_QUERY, {}, ctx()) == OK
    assert rig.tokens.refreshes == 1


async def test_a_429_with_an_html_body_backs_off_like_the_frequency_limit(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(text_reply("<html>Too Many Requests</html>", 429), json_reply(OK))
    assert await rig.client.call(IMAGE_QUERY, {}, ctx()) == OK
    assert rig.limiter.back_offs == [2.0]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (text_reply("<html>403 Forbidden</html>", 403), errors.REQUEST_INVALID),
        (text_reply("", 404), errors.REQUEST_INVALID),
        (json_reply({"code": "gw.APIACLDecline", "message": "acl"}, 400), errors.ACL_DECLINED),
        (
            json_reply({"errorCode": "gw.ParamMissing", "errorMsg": "offerId"}, 400),
            errors.PARAM_MISSING,
        ),
    ],
)
async def test_an_http_error_is_what_its_status_or_code_says_whatever_the_body(
    rig_factory: Callable[..., Rig], reply: Reply, reason: str
) -> None:
    rig = rig_factory(reply)
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx())
    assert caught.value.reason == reason
    assert len(rig.upstream.requests) == 1


async def test_a_200_with_a_null_error_code_is_a_success(rig_factory: Callable[..., Rig]) -> None:
    body = {"error_code": None, "error_message": None, **OK}
    rig = rig_factory(json_reply(body))
    assert await rig.client.call(IMAGE_QUERY, {}, ctx()) == body


async def test_a_stale_timestamp_recalibrates_and_retries(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(
        error_reply(400, "400", "RequestValidateException: Request is expired."),
        json_reply({"result": 1_718_000_090_000}),
        json_reply(OK),
    )
    assert await rig.client.call(IMAGE_QUERY, {}, ctx()) == OK
    assert rig.client.clock_skew_s == pytest.approx(90.0)
    assert rig.upstream.requests[2]["_aop_timestamp"] == "1718000090000"


async def test_no_usage_left_marks_the_api_exhausted(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(error_reply(400, "gw.NoUsageLeftError", "SLA bill has no usage left"))
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx())
    assert caught.value.reason == errors.QUOTA_EXHAUSTED
    with pytest.raises(QuotaExhausted):
        await rig.client.call(IMAGE_QUERY, {}, ctx())
    assert len(rig.upstream.requests) == 1


async def test_frequency_limit_backs_off_then_succeeds(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(error_reply(400, "gw.QosAppFrequencyLimit"), json_reply(OK))
    assert await rig.client.call(IMAGE_QUERY, {}, ctx()) == OK
    assert rig.time.sleeps == [2.0]
    assert rig.limiter.back_offs == [2.0]


async def test_frequency_limit_with_no_time_left_says_rate_limited(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(error_reply(400, "gw.QosAppFrequencyLimit"))
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx(deadline_in=1.0))
    assert caught.value.reason == errors.RATE_LIMITED
    assert rig.time.sleeps == []
    assert caught.value.retry_after == 2.0


async def test_a_frequency_limit_through_every_retry_ends_with_a_retry_after(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(error_reply(400, "gw.QosAppFrequencyLimit"))
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx(deadline_in=None))
    assert caught.value.reason == errors.RATE_LIMITED
    assert len(rig.upstream.requests) == 4
    # What the caller is told to wait is the pause every caller keeps.
    assert caught.value.retry_after == 2.0


async def test_the_budget_is_never_overspent(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(json_reply(OK), budget=3)
    results = await asyncio.gather(
        *(rig.client.call(IMAGE_QUERY, {}, ctx()) for _ in range(10)), return_exceptions=True
    )
    assert sum(1 for r in results if r == OK) == 3
    assert sum(1 for r in results if isinstance(r, QuotaExhausted)) == 7
    assert len(rig.upstream.requests) == 3


async def test_the_breaker_opens_and_recovers(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(text_reply("down", 500), breaker_failures=3)
    with pytest.raises(errors.UpstreamError):
        await rig.client.call(IMAGE_QUERY, {}, ctx(deadline_in=None))
    assert state(rig.breaker) == "open"
    sent = len(rig.upstream.requests)
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx())
    assert caught.value.reason == errors.CIRCUIT_OPEN
    assert caught.value.retry_after is not None and caught.value.retry_after > 0
    assert len(rig.upstream.requests) == sent
    assert await used(rig.ledger) == sent
    rig.upstream.replies.append(json_reply(OK))
    rig.time.now += 31
    assert state(rig.breaker) == "half_open"
    assert await rig.client.call(IMAGE_QUERY, {}, ctx(now=rig.time.now)) == OK
    assert state(rig.breaker) == "closed"


async def test_a_held_unit_pays_for_the_first_attempt(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(json_reply(OK))
    held = await rig.ledger.reserve(API, "acme")
    await rig.client.call(IMAGE_QUERY, {}, ctx(), held=held)
    assert await used(rig.ledger) == 1


async def test_a_held_unit_is_refunded_when_nothing_goes_out(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(json_reply(OK))
    rig.breaker.record_failure()
    rig.breaker.record_failure()
    rig.breaker.record_failure()
    held = await rig.ledger.reserve(API, "acme")
    with pytest.raises(errors.UpstreamError):
        await rig.client.call(IMAGE_QUERY, {}, ctx(), held=held)
    assert await used(rig.ledger) == 0


async def test_secrets_are_scrubbed_from_upstream_messages(
    rig_factory: Callable[..., Rig],
) -> None:
    echo = f"bad signature for secret {SECRET} and token tok-0"
    rig = rig_factory(error_reply(400, "gw.SignatureInvalid", echo))
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx())
    text = f"{caught.value} {caught.value.upstream_message}"
    assert SECRET not in text
    assert "tok-0" not in text
    assert "***" in text


async def test_an_expired_deadline_sends_nothing(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(json_reply(OK))
    with pytest.raises(errors.UpstreamError) as caught:
        await rig.client.call(IMAGE_QUERY, {}, ctx(deadline_in=-1))
    assert caught.value.reason == errors.DEADLINE_EXCEEDED
    assert rig.upstream.requests == []
    assert await used(rig.ledger) == 0


async def test_frequency_limits_do_not_open_the_breaker(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(error_reply(400, "gw.QosAppFrequencyLimit"), breaker_failures=2)
    for _ in range(3):
        with pytest.raises(errors.UpstreamError):
            await rig.client.call(IMAGE_QUERY, {}, ctx(deadline_in=1.0))
    assert state(rig.breaker) == "closed"


async def test_the_unit_is_taken_after_the_rate_wait_and_is_spent_once_written(
    rig_factory: Callable[..., Rig], store: Store
) -> None:
    rig = rig_factory(json_reply(OK))
    while_waiting: list[tuple[int, int]] = []

    async def acquire(deadline_monotonic: float | None = None) -> None:
        while_waiting.append((await used(rig.ledger), len(await store.holds())))

    rig.limiter.acquire = acquire  # type: ignore[method-assign]
    await rig.client.call(IMAGE_QUERY, {}, ctx())
    # Nothing was counted while the call waited for its turn; once written, the unit
    # is spent and no hold is left for a restart to give back.
    assert while_waiting == [(0, 0)]
    assert await used(rig.ledger) == 1
    assert await store.holds() == []


async def test_a_unit_released_under_a_live_call_is_taken_anew(
    rig_factory: Callable[..., Rig], store: Store
) -> None:
    rig = rig_factory(json_reply(OK))
    held = await rig.ledger.reserve(API, "acme")
    # Recovery took the owner for dead and gave the held unit back.
    assert await store.release_hold(held.hold_id)
    await rig.client.call(IMAGE_QUERY, {}, ctx(), held=held)
    assert await used(rig.ledger) == 1
    assert len(rig.upstream.requests) == 1


async def test_a_call_cancelled_before_its_held_unit_is_sent_gives_it_back(
    rig_factory: Callable[..., Rig], store: Store
) -> None:
    rig = rig_factory(json_reply(OK))
    held = await rig.ledger.reserve(API, "acme")

    async def cancelled(reservation: object) -> None:
        raise asyncio.CancelledError

    rig.ledger.sent = cancelled  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await rig.client.call(IMAGE_QUERY, {}, ctx(), held=held)
    assert rig.upstream.requests == []
    assert await used(rig.ledger) == 0
    assert await store.holds() == []


async def test_a_call_without_a_held_unit_takes_and_spends_it_in_one_store_step(
    rig_factory: Callable[..., Rig], store: Store
) -> None:
    rig = rig_factory(json_reply(OK))
    steps: list[str] = []
    for name in ("get", "hold", "mark_sent", "take_token"):
        original = getattr(store, name)

        def spy(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            steps.append(_name)
            return _original(*args, **kwargs)

        setattr(store, name, spy)
    await rig.client.call(IMAGE_QUERY, {}, ctx())
    # (The rig's rate limiter is a fake: no token step.) The unit is taken and marked
    # sent at once, the API's exhausted mark checked in that same step.
    assert steps == ["hold"]
    assert await used(rig.ledger) == 1
    assert await store.holds() == []
