"""``factoryfinder up``: every service on localhost, against the sandbox.

Each service runs as its own child process (``factoryfinder serve X``) on an
ephemeral port (the aggregator on a fixed one by default), announces its
address on stdout, and is ready once its health check says SERVING. The
launcher provisions the gateway with a token pair minted by the sandbox's
admin endpoint, creates a development API key for the aggregator, prints
where everything listens, optionally runs the demo, and on Ctrl-C/SIGTERM
stops every child (SIGTERM, then SIGKILL after a grace period): no orphans.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.cli import provisioning

_ADDRESS = re.compile(r"listening on (?:https?://)?([\w.\-]+:\d+)")
START_TIMEOUT_S = 90.0
STOP_GRACE_S = 15.0
DEV_TENANT = "dev"


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    address: str = ""
    log_path: Path = field(default_factory=Path)


async def spawn_service(
    name: str, env: Mapping[str, str], log_dir: Path, *args: str, log_name: str = ""
) -> Child:
    """Start ``factoryfinder serve NAME`` with its output in ``log_dir/(log_name or NAME).log``;
    returns once the service has announced its address."""
    log_path = log_dir / f"{log_name or name}.log"
    with log_path.open("ab") as log_file:
        offset = log_file.tell()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "shared.cli.main",
            "serve",
            name,
            *args,
            env={**os.environ, **env},
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,  # Ctrl-C reaches the launcher only; it stops children in order
        )
    child = Child(name, process, log_path=log_path)
    try:
        child.address = await _read_address(child, offset)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return child


async def _read_address(child: Child, offset: int) -> str:
    """Watch the child's log (from ``offset``) for its "listening on HOST:PORT" line."""
    async with asyncio.timeout(START_TIMEOUT_S):
        while True:
            with child.log_path.open("rb") as log:
                log.seek(offset)
                match = _ADDRESS.search(log.read().decode(errors="replace"))
            if match:
                return match.group(1)
            if child.process.returncode is not None:
                raise RuntimeError(f"{child.name} exited before listening; see {child.log_path}")
            await asyncio.sleep(0.05)


async def wait_serving(address: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll the standard health check until the server says SERVING."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        async with asyncio.timeout(timeout_s):
            while True:
                try:
                    reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.1)


async def stop_all(children: list[Child]) -> None:
    """SIGTERM every child (aggregator first), then SIGKILL whatever outlives the grace."""
    for child in reversed(children):
        if child.process.returncode is None:
            child.process.send_signal(signal.SIGTERM)
    for child in reversed(children):
        try:
            await asyncio.wait_for(child.process.wait(), STOP_GRACE_S)
        except TimeoutError:
            child.process.kill()
            await child.process.wait()


async def start_stack(aggregator_port: int, log_dir: Path) -> tuple[list[Child], str]:
    """Start the six services; returns the children and the development API key."""
    children: list[Child] = []
    try:
        app = provisioning.SandboxApp.fresh()
        sandbox = await spawn_service("sandbox", app.sandbox_env(), log_dir, "--port", "0")
        children.append(sandbox)
        gateway_env = await provisioning.gateway_env_for_sandbox(
            f"http://{sandbox.address}", app, log_dir, os.environ
        )
        internal = {
            "preprocess": provisioning.preprocess_env(),
            "ranking": {},
            "planning": {},
            "gateway": gateway_env,
        }
        spawned = await asyncio.gather(
            *(spawn_service(name, env, log_dir) for name, env in internal.items()),
            return_exceptions=True,
        )
        children += [c for c in spawned if isinstance(c, Child)]
        failures = [e for e in spawned if isinstance(e, BaseException)]
        if failures:
            raise failures[0]
        api_key = "ff-dev-" + secrets.token_hex(12)
        by_name = {child.name: child.address for child in children}
        aggregator_env = provisioning.aggregator_env(by_name, aggregator_port, api_key, DEV_TENANT)
        children.append(await spawn_service("aggregator", aggregator_env, log_dir))
        await asyncio.gather(*(wait_serving(c.address) for c in children if c.name != "sandbox"))
        return children, api_key
    except BaseException:
        await stop_all(children)
        raise


def _write_atomically(path: Path, text: str) -> None:
    """Readers that poll for the file never see it half written."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _print_table(children: list[Child], api_key: str, log_dir: Path) -> None:
    print("factoryfinder is up:")
    for child in children:
        print(f"  {child.name:<11} {child.address}")
    print(f"  logs        {log_dir}")
    print(f"  API key     {api_key}   (tenant {DEV_TENANT!r}; development only)")
    aggregator = next(c.address for c in children if c.name == "aggregator")
    print(f"Try: FF_TARGET={aggregator} FF_API_KEY={api_key} factoryfinder search PHOTO")
    sys.stdout.flush()


async def _run(aggregator_port: int, endpoints_file: Path | None, demo: bool, log_dir: Path) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    children, api_key = await start_stack(aggregator_port, log_dir)
    try:
        _print_table(children, api_key, log_dir)
        if endpoints_file is not None:
            endpoints = {c.name: c.address for c in children}
            endpoints["api_key"] = api_key
            await asyncio.to_thread(
                _write_atomically, endpoints_file, json.dumps(endpoints, indent=2)
            )
        if demo:
            from shared.cli import demo as demo_module

            aggregator = next(c.address for c in children if c.name == "aggregator")
            await demo_module.run_demo(aggregator, api_key)
            print("Serving until Ctrl-C.", flush=True)
        waiters = [asyncio.create_task(c.process.wait()) for c in children]
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([stopper, *waiters], return_when=asyncio.FIRST_COMPLETED)
        for task in [stopper, *waiters]:
            task.cancel()
        crashed = [c.name for c in children if c.process.returncode not in (None, 0)]
        if crashed:
            print(f"stopping: {', '.join(crashed)} exited unexpectedly", file=sys.stderr)
            return 1
        return 0
    finally:
        print("stopping all services ...", flush=True)
        await stop_all(children)


def launch(
    aggregator_port: int, endpoints_file: Path | None, demo: bool, log_dir: Path | None
) -> int:
    directory = log_dir or Path(tempfile.mkdtemp(prefix="factoryfinder-"))
    directory.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_run(aggregator_port, endpoints_file, demo, directory))
