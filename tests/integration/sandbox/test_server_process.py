"""``python -m services.sandbox.server`` as its own process: one line, SIGTERM, exit 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx

from services.sandbox.server import settings_from_argv


def test_flags_override_environment() -> None:
    settings = settings_from_argv(
        [
            "--app",
            "k1:s1",
            "--app",
            "k2:s2",
            "--budget",
            "product.search.imageQuery=7",
            "--latency-ms",
            "25",
            "--peak-mode",
            "--catalog-offers",
            "100",
            "--acl-decline",
            "k1:alibaba.product.get",
        ]
    )
    assert settings.apps == (("k1", "s1"), ("k2", "s2"))
    assert settings.budgets == (("product.search.imageQuery", 7),)
    assert (settings.latency_ms, settings.peak_mode, settings.catalog_offers) == (25.0, True, 100)
    assert settings.acl_decline == (("k1", "alibaba.product.get"),)


def test_process_serves_until_sigterm(tmp_path: object) -> None:
    command = [
        sys.executable,
        "-m",
        "services.sandbox.server",
        "--port",
        "0",
        "--catalog-offers",
        "60",
        "--app",
        "k1:s1",
        "--cache-dir",
        str(tmp_path),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FF_SANDBOX_SEED": "5"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[-1]
        health = httpx.get(f"{url}/admin/health", timeout=10).json()
        assert health["seed"] == 5 and health["offers"] >= 60
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def test_bad_settings_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.sandbox.server", "--qps-default", "-3"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "FF_SANDBOX_QPS_DEFAULT" in result.stderr
