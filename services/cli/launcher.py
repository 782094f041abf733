"""``factoryfinder up``: every service on localhost, against the sandbox.

Each service runs as its own child process (``factoryfinder serve X``) on an
ephemeral port (the aggregator on a fixed one by default), announces its
address on stdout, and is ready once its health check says SERVING. The
launcher provisions the gateway with a token pair minted by the sandbox's
admin endpoint, creates a development API key for the aggregator, prints
where everything listens, writes the endpoints and key to the file the CLI reads
(``services/cli/endpoints.py``), optionally runs the demo, and serves until told to stop.

One set, one owner: the launcher stops every child (SIGTERM, then SIGKILL after a grace
period) on SIGINT, SIGTERM, SIGHUP or when its output is closed (``make run | tail``, a
closed terminal), and it stops them before it prints anything, so a dead pipe cannot keep
them alive. If the launcher itself is killed, each child gets SIGTERM from the kernel
(PR_SET_PDEATHSIG, set in the child before it runs the service).

Each child gets glibc's allocator thresholds that ``make run`` exports
(``ALLOCATOR_DEFAULTS``; the environment's own values win), so large messages are not
allocator-bound however the set is started. The services share this machine's cores:
preprocess runs its image work (worker processes and comparison threads) at a lower CPU
priority (``FF_PREPROCESS_IMAGE_NICENESS``, 5 by default, set like any setting in the
environment), so the calls' routing through the aggregator, gateway and ranking is served
first, as when preprocess has cores of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import secrets
import select
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2

from services.cli import endpoints as endpoints_file_module
from services.cli import provisioning
from services.cli.errors import CliError
from shared.grpc_client import health_check

_ADDRESS = re.compile(r"listening on (?:https?://)?([\w.\-]+:\d+)")
START_TIMEOUT_S = 90.0
STOP_GRACE_S = 15.0
DEV_TENANT = "dev"
OUTPUT_CHECK_S = 0.5
_PR_SET_PDEATHSIG = 1
# glibc's allocator for every child unless the environment says otherwise (``make run``
# exports the same): with its defaults every buffer over 128 KiB (a photo in a gRPC
# message, its base64 and form-encoded copies in an upload, the form the sandbox parses)
# is a fresh mmap that is faulted in page by page and unmapped again (docs:
# performance.md). Measured in the gateway, preparing one upload's form (base64, JSON,
# signature, form encoding of a 220 KB photo): 2.7 -> 1.7 ms of CPU.
ALLOCATOR_DEFAULTS = {"MALLOC_MMAP_THRESHOLD_": "67108864", "MALLOC_TRIM_THRESHOLD_": "268435456"}


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
            "services.cli.main",
            "serve",
            name,
            *args,
            env={**ALLOCATOR_DEFAULTS, **os.environ, **env},
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,  # Ctrl-C reaches the launcher only; it stops children in order
            preexec_fn=_die_with_parent(os.getpid()),
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


def _die_with_parent(parent: int) -> Callable[[], None]:
    """Runs in the child between fork and exec: SIGTERM when the launcher dies, even by
    SIGKILL; and if it already died during the fork, stop now."""

    def arm() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return arm


def _failure_line(child: Child, offset: int) -> str:
    """What the child said before it exited: its own one-line error if it printed one."""
    with child.log_path.open("rb") as log:
        log.seek(offset)
        lines = [ln.strip() for ln in log.read().decode(errors="replace").splitlines()]
    said = [ln for ln in lines if ln.startswith("factoryfinder:")]
    if said:
        return said[-1].removeprefix("factoryfinder:").strip()
    last = next((ln for ln in reversed(lines) if ln), "")
    return f"{child.name} exited before listening: {last or 'no output'} (log: {child.log_path})"


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
                raise CliError(
                    _failure_line(child, offset), "FAILED_PRECONDITION", "SERVICE_START_FAILED"
                )
            await asyncio.sleep(0.05)


async def wait_serving(address: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll the standard health check until the server says SERVING."""
    async with grpc.aio.insecure_channel(address) as channel:
        check = health_check(channel)
        async with asyncio.timeout(timeout_s):
            while True:
                try:
                    reply = await check(health_pb2.HealthCheckRequest(), timeout=2)
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
        # Each child leads its own process group; what it started (preprocess workers)
        # must not outlive it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)


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


def check_port_free(host: str, port: int) -> None:
    """Fail before starting anything when the public port is taken (a set already running)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise CliError(
                f"cannot listen on {host}:{port}: the port is in use (is another "
                "`factoryfinder up` running? stop it with Ctrl-C), or pick another port with "
                "--aggregator-port (0 = any free port)",
                "FAILED_PRECONDITION",
                "PORT_IN_USE",
            ) from None


def _say(*lines: str) -> None:
    """Print, never fail: a closed output must not stop the launcher from stopping its set."""
    with contextlib.suppress(OSError, ValueError):
        for line in lines:
            print(line)
        sys.stdout.flush()


def _cli_command() -> str:
    """How to run the CLI in a new shell, as written (the venv need not be activated)."""
    script = Path(sys.executable).parent / "factoryfinder"
    with contextlib.suppress(ValueError):
        return str(script.relative_to(Path.cwd()))
    return str(script)


def _print_table(children: list[Child], api_key: str, log_dir: Path, written: Path) -> None:
    lines = ["factoryfinder is up:"]
    lines += [f"  {child.name:<11} {child.address}" for child in children]
    lines.append(f"  logs        {log_dir}")
    lines.append(f"  API key     {api_key}   (tenant {DEV_TENANT!r}; development only)")
    lines.append(f"  endpoints   {written}   (the CLI reads it: no exports needed)")
    sample = Path(__file__).parent / "sample_photos" / "product.webp"
    with contextlib.suppress(ValueError):
        sample = sample.relative_to(Path.cwd())
    lines.append(f"Try (in another terminal, here): {_cli_command()} search {sample} --locale en")
    _say(*lines)


def _output_closed() -> bool:
    """stdout's reader went away (a pipe whose reader exited, a closed terminal)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), 0)  # POLLERR/POLLHUP are always reported
        return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))
    except (OSError, ValueError):
        return True


async def _watch_output(stop: asyncio.Event) -> None:
    while not stop.is_set():
        if _output_closed():
            stop.set()
            return
        await asyncio.sleep(OUTPUT_CHECK_S)


async def _run(aggregator_port: int, endpoints_path: Path, demo: bool, log_dir: Path) -> int:
    check_port_free(os.environ.get("FF_AGGREGATOR_HOST", "127.0.0.1"), aggregator_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(_watch_output(stop))
    starting = asyncio.create_task(start_stack(aggregator_port, log_dir))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([starting, stopper], return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():  # told to stop while starting: start_stack stops what it began
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        watcher.cancel()
        return 130
    children, api_key = starting.result()
    crashed: list[str] = []
    try:
        endpoints = {c.name: c.address for c in children}
        endpoints["api_key"] = api_key
        await asyncio.to_thread(endpoints_file_module.write, endpoints_path, endpoints)
        _print_table(children, api_key, log_dir, endpoints_path)
        if demo and not stop.is_set():
            from services.cli import demo as demo_module

            aggregator = next(c.address for c in children if c.name == "aggregator")

            async def show_demo() -> None:
                # The output may be gone (rich turns a broken pipe into SystemExit).
                with contextlib.suppress(OSError, ValueError, SystemExit):
                    await demo_module.run_demo(aggregator, api_key)

            demo_task = asyncio.create_task(show_demo())
            await asyncio.wait([demo_task, stopper], return_when=asyncio.FIRST_COMPLETED)
            demo_task.cancel()
            _say("Serving until Ctrl-C.")
        waiters = [asyncio.create_task(c.process.wait()) for c in children]
        await asyncio.wait([stopper, *waiters], return_when=asyncio.FIRST_COMPLETED)
        for task in waiters:
            task.cancel()
        crashed = [c.name for c in children if c.process.returncode not in (None, 0)]
    finally:
        # Children first, words after: the output may be gone.
        stopper.cancel()
        watcher.cancel()
        await stop_all(children)
        endpoints_file_module.remove_if_ours(endpoints_path, api_key)
    if crashed:
        with contextlib.suppress(OSError, ValueError):
            print(f"stopped: {', '.join(crashed)} exited unexpectedly", file=sys.stderr)
        return 1
    _say("stopped all services.")
    return 0


def launch(
    aggregator_port: int, endpoints_file: Path | None, demo: bool, log_dir: Path | None
) -> int:
    directory = log_dir or Path(tempfile.mkdtemp(prefix="factoryfinder-"))
    directory.mkdir(parents=True, exist_ok=True)
    path = endpoints_file or endpoints_file_module.well_known_path()
    return asyncio.run(_run(aggregator_port, path, demo, directory))
