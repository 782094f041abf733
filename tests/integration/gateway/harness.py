"""Helpers for the gateway's integration tests: the sandbox process, gateways, photos.

The sandbox runs as its own process (its image work must not share our event
loop); gateways run in-process on port 0 unless a test needs to kill one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc
from factoryfinder.v1 import common_pb2, gateway_pb2_grpc
from PIL import Image, ImageDraw

from services.gateway.runtime import GatewayRuntime
from services.gateway.server import create_server
from services.gateway.settings import load_gateway_settings
from services.sandbox.admin.client import TokenPair
from shared.errors import ServiceError
from shared.grpc_errors import from_rpc_error
from shared.grpc_server import RunningServer
from shared.phash import phash

START_TIMEOUT_S = 60.0
UPLOAD = "product.image.upload"
QUERY = "product.search.imageQuery"
DETAIL = "product.search.queryProductDetail"
GET_TOKEN = "getToken"
POSTPONE_TOKEN = "postponeToken"


@dataclass(frozen=True)
class Sandbox:
    url: str
    app_key: str
    app_secret: str


def read_line(process: subprocess.Popen[str], marker: str, timeout_s: float) -> str:
    """The first stdout line containing ``marker`` (the process prints it when listening)."""
    found: list[str] = []

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if marker in line:
                found.append(line.strip())
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not found:
        process.kill()
        raise RuntimeError(f"no {marker!r} line within {timeout_s} s")
    return found[0]


def start_sandbox_process(
    app_key: str, secret: str, log: Path
) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable, "-m", "services.cli.main", "serve", "sandbox", "--port", "0",
        "--app", f"{app_key}:{secret}", "--catalog-offers", "400", "--min-image-side", "128",
        "--budget", f"{QUERY}=0", "--budget", f"{UPLOAD}=0", "--budget-default", "0",
        "--qps-default", "0", "--hang-seconds", "3",
    ]  # fmt: skip
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=sink, text=True)
    line = read_line(process, "listening on", START_TIMEOUT_S)
    return process, line.rsplit(" ", 1)[-1]


def stop_process(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def gateway_env(sandbox: Sandbox, tokens: TokenPair, **extra: str) -> dict[str, str]:
    """Settings of a test gateway: quick retries, no drain delay."""
    env = {
        "FF_GATEWAY_UPSTREAM_URL": f"{sandbox.url}/openapi",
        "FF_GATEWAY_APP_KEY": sandbox.app_key,
        "FF_GATEWAY_APP_SECRET": sandbox.app_secret,
        "FF_GATEWAY_ACCESS_TOKEN": tokens.access_token,
        "FF_GATEWAY_REFRESH_TOKEN": tokens.refresh_token,
        "FF_GATEWAY_REFRESH_TOKEN_EXPIRES_AT": tokens.refresh_token_timeout,
        "FF_GATEWAY_STORE_URL": "memory://",
        "FF_GATEWAY_PORT": "0",
        "FF_GATEWAY_DRAIN_DELAY_SECONDS": "0",
        "FF_GATEWAY_GRACE_SECONDS": "0",
        "FF_GATEWAY_RETRY_BASE_DELAY_S": "0.05",
        "FF_GATEWAY_RETRY_MAX_DELAY_S": "0.2",
        "FF_GATEWAY_FREQUENCY_BACKOFF_S": "0.2",
        "FF_GATEWAY_QPS": "500",
        "FF_GATEWAY_BURST": "100",
    }
    env.update(extra)
    return env


@dataclass
class Gateway:
    stub: gateway_pb2_grpc.GatewayServiceAsyncStub
    runtime: GatewayRuntime
    running: RunningServer


@contextlib.asynccontextmanager
async def running_gateway(env: Mapping[str, str]) -> AsyncIterator[Gateway]:
    settings = load_gateway_settings(env)
    running, runtime = await create_server(settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield Gateway(gateway_pb2_grpc.GatewayServiceStub(channel), runtime, running)
    finally:
        await running.shutdown(grace=0)


def photo(index: int, side: int = 256) -> common_pb2.PreparedImage:
    """A distinct, valid product-like JPEG per index (shapes in random colours)."""
    rng = random.Random(index)
    image = Image.new("RGB", (side, side), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.randrange(side), rng.randrange(side)
        box = (x0, y0, x0 + rng.randrange(20, side), y0 + rng.randrange(20, side))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    jpeg = out.getvalue()
    return common_pb2.PreparedImage(
        jpeg=jpeg,
        width=side,
        height=side,
        sha256=hashlib.sha256(jpeg).hexdigest(),
        phash=phash(image),
    )


def tenant(name: str = "acme") -> tuple[tuple[str, str], ...]:
    return (("x-tenant-id", name),)


async def rpc_error(call: object) -> ServiceError:
    """The ServiceError behind a failed call (awaits ``call``; fails if it succeeds)."""
    try:
        await call  # type: ignore[misc]
    except grpc.aio.AioRpcError as exc:
        return from_rpc_error(exc, "gateway")
    raise AssertionError("the call succeeded")


def spawn_gateway(env: Mapping[str, str], log: Path) -> tuple[subprocess.Popen[str], str]:
    """``factoryfinder serve gateway`` as its own process; returns it and its address.

    stdout is kept (the test may read it), stderr (the JSON log) goes to ``log``.
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("FF_GATEWAY_")}
    command = [sys.executable, "-m", "services.cli.main", "serve", "gateway"]
    with log.open("a") as sink:
        process = subprocess.Popen(
            command, env={**base, **env}, stdout=subprocess.PIPE, stderr=sink, text=True
        )
    line = read_line(process, "listening on", START_TIMEOUT_S)
    return process, line.rsplit(" ", 1)[-1]
