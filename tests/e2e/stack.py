"""The whole service set as a user runs it: ``factoryfinder up`` in a child process.

Tests get the live endpoints (from ``--endpoints-file``), a channel and stub for
the public API with the development key, and the sandbox's base URL for its
admin endpoint. Extra environment variables reach every service (e.g. gateway
budgets); the stack is stopped with SIGTERM, as a person's Ctrl-C would.
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


@dataclass(frozen=True)
class Stack:
    endpoints: dict[str, str]
    api_key: str
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


@contextmanager
def running_stack(env: Mapping[str, str] | None = None) -> Iterator[Stack]:
    """Start every service with ``factoryfinder up --no-demo`` and stop it afterwards."""
    work = Path(tempfile.mkdtemp(prefix="ff-stack-"))
    endpoints_file = work / "endpoints.json"
    log_dir = work / "logs"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.cli.main",
            "up",
            "--no-demo",
            "--aggregator-port",
            "0",
            "--endpoints-file",
            str(endpoints_file),
            "--log-dir",
            str(log_dir),
        ],
        env={**os.environ, "FF_GATEWAY_DATA_DIR": str(work / "gateway"), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not endpoints_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"the stack did not start:\n{output}")
            time.sleep(0.2)
        endpoints = json.loads(endpoints_file.read_text(encoding="utf-8"))
        api_key = endpoints.pop("api_key")
        yield Stack(endpoints, api_key, log_dir)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
