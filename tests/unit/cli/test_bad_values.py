"""Every subcommand with bad values: exit code 2 and one line naming the value and the
choices, as text on stderr and as a JSON object on stdout with ``--json``. No server is
needed: bad values are refused before any call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parents[3] / "services" / "cli" / "sample_photos" / "product.webp"
PHOTO = str(SAMPLE)

# (arguments, words the one line must hold)
BAD_VALUES = [
    (["search", PHOTO, "--role", "back"], ["back", "product", "detail", "scene"]),
    (["search", PHOTO, "--kind", "factory"], ["factory", "source_factory", "trading_company"]),
    (["search", PHOTO, "--locale", "fr"], ["fr", "zh", "en"]),
    (["search", PHOTO, "--profile", "cheap"], ["cheap", "default", "seed", "similarity", "price"]),
    (["search", PHOTO, "--region", "火星"], ["火星", "广东"]),
    (["search", PHOTO, "--price-min", "abc"], ["abc", "--price-min"]),
    (["search", PHOTO, "--page-size", "500"], ["500", "--page-size"]),
    (["search", PHOTO, "--min-similarity", "-3"], ["-3", "--min-similarity"]),
    (["search", "no-such-photo.jpg"], ["no-such-photo.jpg", "not found"]),
    (["search"], ["photo"]),
    (["verify", PHOTO, PHOTO, "--mode", "lenient"], ["lenient", "consensus", "strict"]),
    (["verify", PHOTO, PHOTO, "--k", "5"], ["--k 5", "2 photos"]),
    (["verify", PHOTO], ["2 to 6"]),
    (["verify", PHOTO, PHOTO, "--kind", "factory"], ["factory", "source_factory"]),
    (["plan", "610000123456", "--qty", "100", "--to", "Mars"], ["Mars", "广东", "more"]),
    (["plan", "610000123456", "--qty", "100", "--complexity", "hard"], ["hard", "standard"]),
    (["plan", "610000123456", "--qty", "many"], ["many", "--qty"]),
    (["plan", "610000123456"], ["--qty"]),
    (["batch", "no-such-folder"], ["no-such-folder", "not found"]),
    (["batch", PHOTO], ["folder", ".csv"]),
    (["batch", str(SAMPLE.parent), "--out", "results.xlsx"], ["results.xlsx", ".csv", ".jsonl"]),
    (["batch", str(SAMPLE.parent), "--kind", "factory"], ["factory", "source_factory"]),
    (["quota", "--locale", "fr"], ["fr", "zh", "en"]),
    (["settings", "cache"], ["cache", "gateway"]),
    (["serve", "cache"], ["cache", "gateway"]),
    (["up", "--aggregator-port", "port"], ["port", "--aggregator-port"]),
]


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # No server listens here: a bad value must be refused before any call is tried.
    env = {**os.environ, "FF_TARGET": "127.0.0.1:9", "FF_API_KEY": "x"}
    env["FF_ENDPOINTS_FILE"] = str(tmp_path / "none.json")
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "named"), BAD_VALUES, ids=[" ".join(a[:3]) for a, _ in BAD_VALUES]
)
def test_a_bad_value_is_one_line_and_exit_code_2(
    args: list[str], named: list[str], tmp_path: Path
) -> None:
    result = _run(args, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("factoryfinder: error: ")
    for word in named:
        assert word in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [(a, n) for a, n in BAD_VALUES if a[0] in {"search", "verify", "plan", "quota"}],
    ids=[" ".join(a[:3]) for a, _ in BAD_VALUES if a[0] in {"search", "verify", "plan", "quota"}],
)
def test_with_json_the_error_is_an_object_on_stdout(
    args: list[str], named: list[str], tmp_path: Path
) -> None:
    result = _run([*args, "--json"], tmp_path)
    assert result.returncode == 2, result.stderr
    error = json.loads(result.stdout)["error"]
    assert set(error) >= {"code", "reason", "message", "details"}
    assert error["code"] in {"INVALID_ARGUMENT", "NOT_FOUND"}
    assert error["exit_code"] == 2
    for word in named:
        assert word in error["message"]
    assert result.stderr == ""


def test_an_unreachable_server_is_exit_code_5_in_one_line(tmp_path: Path) -> None:
    result = _run(["quota"], tmp_path)
    assert result.returncode == 5, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "factoryfinder up" in lines[0], result.stderr
    as_json = _run(["quota", "--json"], tmp_path)
    assert as_json.returncode == 5
    assert json.loads(as_json.stdout)["error"]["code"] == "UNAVAILABLE"
