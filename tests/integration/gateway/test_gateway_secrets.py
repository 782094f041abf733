"""A full gateway run, every byte of output captured: no secret or token anywhere.

Captured: the process's stdout and stderr (JSON logs at DEBUG), its Prometheus
metrics, and every gRPC reply and error status the callers got. The run
covers searches with enrichment, paging, details, retried 5xx
answers, a rejected request and a token refresh (whose new token is read
back from the store and searched for as well, in the store's file too: the
stored pair is sealed).
"""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import grpc
import httpx
from factoryfinder.v1 import gateway_pb2, gateway_pb2_grpc

from services.gateway.upstream.token_sealing import TokenSeal
from services.sandbox.admin.client import SandboxAdmin, TokenPair
from tests.integration.gateway.harness import (
    QUERY,
    Sandbox,
    gateway_env,
    photo,
    spawn_gateway,
    stop_process,
)


def metrics_port(log: Path) -> int:
    for line in log.read_text().splitlines():
        record = json.loads(line)
        if record.get("msg") == "serving":
            return int(record["metrics_port"])
    raise AssertionError("no 'serving' log line")


def stored_access_token(db: Path, sandbox: Sandbox) -> str:
    with sqlite3.connect(db) as conn:
        key = f"token:{sandbox.app_key}"
        row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    assert row is not None, "the refreshed token was not persisted"
    opened = TokenSeal(sandbox.app_key, sandbox.app_secret).open(bytes(row[0]))
    assert opened is not None, "the stored pair is not sealed with the app's secret"
    return str(json.loads(opened)["access_token"])


def store_files(folder: Path) -> str:
    """The SQLite store's files (the database and its write-ahead log), as text."""
    return b"".join(p.read_bytes() for p in folder.glob("gateway.db*")).decode("latin-1")


async def run_everything(
    stub: gateway_pb2_grpc.GatewayServiceAsyncStub, admin: SandboxAdmin
) -> list[bytes]:
    """Calls of every kind; returns what the callers received, serialized."""
    seen: list[bytes] = []

    async def keep(call: object) -> None:
        try:
            reply = await call  # type: ignore[misc]
            seen.append(reply.SerializeToString())
        except grpc.aio.AioRpcError as exc:
            seen.append(f"{exc.code()} {exc.details()}".encode())
            seen.extend(
                value for _, value in exc.trailing_metadata() or () if isinstance(value, bytes)
            )

    search = gateway_pb2.SearchOffersRequest(image=photo(50), enrich_top_k=3)
    first = await stub.SearchOffers(search, timeout=30)
    seen.append(first.SerializeToString())
    await keep(
        stub.SearchOffers(
            gateway_pb2.SearchOffersRequest(page_token=first.next_page_token), timeout=30
        )
    )
    await keep(
        stub.GetOfferDetail(
            gateway_pb2.GetOfferDetailRequest(offer_id=first.offers[7].offer_id), timeout=30
        )
    )
    await keep(stub.SearchOffers(gateway_pb2.SearchOffersRequest(page_token="forged"), timeout=30))
    await admin.set_faults(fault_5xx_rate=0.5, apis=[QUERY])
    await keep(stub.SearchOffers(gateway_pb2.SearchOffersRequest(image=photo(51)), timeout=30))
    await admin.set_faults(fault_5xx_rate=0.0)
    await admin.advance_clock(36_001)
    await keep(stub.SearchOffers(gateway_pb2.SearchOffersRequest(image=photo(52)), timeout=30))
    await keep(stub.GetQuotaUsage(gateway_pb2.GetQuotaUsageRequest(), timeout=30))
    return seen


async def test_no_secret_in_any_output(
    sandbox: Sandbox, admin: SandboxAdmin, tokens: TokenPair, tmp_path: Path
) -> None:
    db = tmp_path / "gateway.db"
    log = tmp_path / "gateway.log"
    env = gateway_env(
        sandbox,
        tokens,
        FF_GATEWAY_STORE_URL=f"sqlite:///{db}",
        FF_GATEWAY_LOG_LEVEL="DEBUG",
        FF_GATEWAY_METRICS_PORT="0",
    )
    process, address = spawn_gateway(env, log)
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            replies = await run_everything(gateway_pb2_grpc.GatewayServiceStub(channel), admin)
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"http://127.0.0.1:{metrics_port(log)}/metrics")).text
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=20)
    finally:
        stop_process(process)
    refreshed = stored_access_token(db, sandbox)
    assert refreshed != tokens.access_token
    assert "factoryfinder_gateway_token_refreshes_total" in metrics
    output = {
        "stdout": stdout,
        "stderr": log.read_text(),
        "metrics": metrics,
        "replies": b"\n".join(replies).decode("utf-8", errors="replace"),
        "store": store_files(tmp_path),
    }
    assert len(output["stderr"]) > 1000
    secrets = {
        "app secret": sandbox.app_secret,
        "access token": tokens.access_token,
        "refresh token": tokens.refresh_token,
        "refreshed access token": refreshed,
    }
    leaks = [
        f"{what} in {where}"
        for what, value in secrets.items()
        for where, text in output.items()
        if value in text
    ]
    assert leaks == []
