"""Running the sandbox: ``main(argv)`` for the console, ``start_sandbox`` for tests.

Every setting of :class:`SandboxSettings` has a flag (``--latency-ms 50``);
flags override ``FF_SANDBOX_*`` variables. List settings take repeatable
flags: ``--app KEY:SECRET``, ``--acl-decline KEY:API``, ``--budget API=N``,
``--qps API=N``; booleans are ``--peak-mode`` / ``--no-peak-mode``.
``main`` prints one line, ``sandbox listening on http://HOST:PORT``, serves
until SIGTERM or SIGINT, then exits 0 (2 on bad settings).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from dataclasses import dataclass

from aiohttp import web

from services.sandbox.app import build_app
from services.sandbox.sandbox_state import SandboxState
from services.sandbox.settings import SandboxSettings, setting_fields
from shared.config import ConfigError, env_names, load

_REPEATABLE = {
    "apps": "--app",
    "acl_decline": "--acl-decline",
    "budgets": "--budget",
    "qps": "--qps",
}
_SHUTDOWN_SECONDS = 1.0


@dataclass
class RunningSandbox:
    """A sandbox serving on ``base_url`` until :meth:`stop`."""

    base_url: str
    port: int
    state: SandboxState
    _runner: web.AppRunner

    async def stop(self) -> None:
        await self._runner.cleanup()


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


async def start_sandbox(settings: SandboxSettings) -> RunningSandbox:
    """Build the catalog (off the event loop) and serve on ``settings.host:port``."""
    loop = asyncio.get_running_loop()
    state = await loop.run_in_executor(None, SandboxState.from_settings, settings)
    # handler_cancellation: a client that hangs up cancels its request here, as
    # it would abort a real gateway's work.
    runner = web.AppRunner(
        build_app(state),
        access_log=None,
        shutdown_timeout=_SHUTDOWN_SECONDS,
        handler_cancellation=True,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    port = int(runner.addresses[0][1])
    return RunningSandbox(f"http://{_url_host(settings.host)}:{port}", port, state, runner)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factoryfinder serve sandbox",
        description="An offline emulator of the 1688 Open Platform (see services/sandbox/README.md).",
    )
    for field, variable in zip(setting_fields(), env_names(SandboxSettings), strict=True):
        flag = "--" + field.name.replace("_", "-")
        if field.name in _REPEATABLE:
            parser.add_argument(
                _REPEATABLE[field.name],
                dest=field.name,
                action="append",
                help=f"repeatable; env {variable}",
            )
        elif field.type in (bool, "bool"):
            parser.add_argument(
                flag, dest=field.name, action=argparse.BooleanOptionalAction, help=f"env {variable}"
            )
        else:
            parser.add_argument(flag, dest=field.name, help=f"env {variable}")
    return parser


def settings_from_argv(argv: list[str]) -> SandboxSettings:
    """Flags over ``FF_SANDBOX_*`` variables, parsed by the same rules."""
    args = vars(_parser().parse_args(argv))
    environ = dict(os.environ)
    for field, variable in zip(setting_fields(), env_names(SandboxSettings), strict=True):
        value = args.get(field.name)
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        environ[variable] = str(value)
    return load(SandboxSettings, environ)


async def _serve(settings: SandboxSettings) -> int:
    running = await start_sandbox(settings)
    print(f"sandbox listening on {running.base_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await running.stop()
    return 0


def main(argv: list[str]) -> int:
    try:
        settings = settings_from_argv(argv)
    except ConfigError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    return asyncio.run(_serve(settings))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
