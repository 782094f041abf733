"""Process-level start-up: bad settings stop a service with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys


def _serve(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "serve", service],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bad_port_stops_start_up_naming_the_variable() -> None:
    result = _serve(
        "aggregator",
        {
            "FF_AGGREGATOR_PORT": "not-a-port",
            "FF_AGGREGATOR_PREPROCESS_ADDRESSES": "127.0.0.1:1",
            "FF_AGGREGATOR_GATEWAY_ADDRESSES": "127.0.0.1:2",
            "FF_AGGREGATOR_RANKING_ADDRESSES": "127.0.0.1:3",
            "FF_AGGREGATOR_PLANNING_ADDRESSES": "127.0.0.1:4",
        },
    )
    assert result.returncode == 2
    assert "FF_AGGREGATOR_PORT" in result.stderr
    assert "not-a-port" in result.stderr


def test_missing_required_setting_is_named() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FF_AGGREGATOR_")}
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "serve", "aggregator"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "FF_AGGREGATOR_PREPROCESS_ADDRESSES is required" in result.stderr
