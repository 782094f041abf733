"""The whole service set as a user runs it: ``factoryfinder up`` in a child process.

Tests get the live endpoints (and the ``--endpoints-file`` they came from, for
clients in other languages), the development key, and the sandbox's base URL
for its admin endpoint. Extra environment variables reach every service (e.g.
gateway budgets); each stack keeps its own gateway ledger. The stack is stopped
with SIGTERM, as a deployment would: the launcher drains and stops its children.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Stack:
    endpoints: dict[str, str]
    api_key: str
    endpoints_file: Path
    log_dir: Path

    @property
    def target(self) -> str:
        return self.endpoints["aggregator"]

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.endpoints['sandbox']}"

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.api_key}"),)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(encoding='utf-8', errors='replace')[-4000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_stack(env: Mapping[str, str] | None = None) -> Iterator[Stack]:
    """Start every service with ``factoryfinder up --no-demo`` and stop it afterwards."""
    work = Path(tempfile.mkdtemp(prefix="ff-stack-"))
    endpoints_file = work / "endpoints.json"
    log_dir = work / "logs"
    command = [sys.executable, "-m", "services.cli.main", "up", "--no-demo"]
    command += ["--aggregator-port", "0", "--endpoints-file", str(endpoints_file)]
    command += ["--log-dir", str(log_dir)]
    with (work / "up.log").open("wb") as out:
        process = subprocess.Popen(
            command,
            env={**os.environ, "FF_GATEWAY_DATA_DIR": str(work / "gateway"), **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not endpoints_file.exists():  # written atomically once every service is SERVING
            if process.poll() is not None or time.monotonic() > deadline:
                output = (work / "up.log").read_text(encoding="utf-8", errors="replace")
                raise RuntimeError(f"the stack did not start:\n{output[-6000:]}")
            time.sleep(0.2)
        endpoints = json.loads(endpoints_file.read_text(encoding="utf-8"))
        yield Stack(endpoints, endpoints["api_key"], endpoints_file, log_dir)
    finally:
        _stop(process)
