"""Fixtures shared by integration tests.

``redis_server``: a private redis-server on a free 127.0.0.1 port (no
persistence, temp dir), started once per session; yields its ``redis://`` URL.
Skipped when redis-server is missing on a developer machine; with CI set, a
missing redis-server FAILS (`make system-deps` installs it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.prerequisites import missing

_START_TIMEOUT_S = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=1.0)
    deadline = time.monotonic() + _START_TIMEOUT_S
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if client.ping():
                    return True
            except redis.ConnectionError:
                time.sleep(0.05)
        return False
    finally:
        client.close()


def _start(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    # The free port may be taken between probing and binding: try a few.
    for _ in range(3):
        port = _free_port()
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(workdir), "--daemonize", "no"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        if _wait_ready(process, url):
            return process, url
        process.kill()
        process.wait(timeout=5)
    raise RuntimeError("redis-server did not start on a free port")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (make system-deps installs it)"
        missing(message)
    process, url = _start(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
