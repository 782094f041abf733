"""Every ``factoryfinder`` subcommand, through its console entry point, against the running set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.photos import SAMPLES, manifest, variant
from tests.e2e.stack import Stack


def _cli(stack: Stack, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FF_TARGET": stack.target, "FF_API_KEY": key or stack.api_key}
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "front.jpg"
    path.write_bytes(variant("phone_rotated.jpg", 900))
    return path


def test_search_prints_a_table_and_json(stack: Stack, photo: Path) -> None:
    table = _cli(stack, "search", str(photo), "--qty", "100", "--min-similarity", "60", "--explain")
    assert table.returncode == 0, table.stderr
    assert manifest().source_company[:6] in table.stdout
    as_json = _cli(stack, "search", str(photo), "--min-similarity", "60", "--json")
    assert as_json.returncode == 0, as_json.stderr
    response = json.loads(as_json.stdout)
    assert response["offers"][0]["offer"]["offer_id"] == manifest().source_offer_id


def test_verify_reports_each_photo(stack: Stack, tmp_path: Path) -> None:
    paths = []
    for index, name in enumerate(("phone_rotated.jpg", "product.webp", "low_contrast.jpg")):
        path = tmp_path / f"{index}.jpg"
        path.write_bytes(variant(name, 910 + index))
        paths.append(str(path))
    result = _cli(stack, "verify", *paths, "--json")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    assert [p.get("ok", False) for p in response["photos"]] == [True, True, True]
    assert response["offers"]


def test_plan_and_quota(stack: Stack) -> None:
    truth = manifest()
    plan = _cli(stack, "plan", *truth.offer_ids[:3], "--qty", "120", "--json")
    assert plan.returncode in (0, 2), plan.stderr
    if plan.returncode == 0:
        response = json.loads(plan.stdout)
        assert len(response.get("plans", [])) + len(response.get("refusals", [])) == 3
    else:
        assert "NOT_CUSTOMIZABLE" in plan.stderr
    quota = _cli(stack, "quota")
    assert quota.returncode == 0, quota.stderr
    assert "product.image.upload" in quota.stdout


def test_batch_writes_one_row_per_photo(stack: Stack, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(4):
        (folder / f"p{index}.jpg").write_bytes(variant("product.webp", 920 + index))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    out = tmp_path / "results.jsonl"
    result = _cli(stack, "batch", str(folder), "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == ["broken.png", "p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg"]
    assert [r["id"] for r in rows if not r["ok"]] == ["broken.png"]


def test_exit_codes_say_what_went_wrong(stack: Stack, tmp_path: Path) -> None:
    unauthenticated = _cli(stack, "quota", key="wrong-key")
    assert unauthenticated.returncode == 3
    assert "API_KEY_INVALID" in unauthenticated.stderr
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a photo")
    bad = _cli(stack, "search", str(junk))
    assert bad.returncode == 2
    assert "NOT_AN_IMAGE" in bad.stderr


def test_samples_are_shipped() -> None:
    assert {p.name for p in SAMPLES.iterdir()} >= {
        "phone_rotated.jpg",
        "cutout.png",
        "low_contrast.jpg",
        "product.webp",
        "detail_closeup.jpg",
    }
