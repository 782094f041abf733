"""Every ``factoryfinder`` subcommand, through its console entry point, against the running set."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.photos import SAMPLES, manifest, variant
from tests.e2e.stack import Stack, running_stack


def _cli(stack: Stack, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FF_TARGET": stack.target, "FF_API_KEY": key or stack.api_key}
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
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
    # Live rows carry no company name: the answer names the source offer and says so.
    assert f"源头 {manifest().source_offer_id}" in table.stdout
    assert "未提供公司名称" in table.stdout
    as_json = _cli(
        stack, "search", str(photo), "--min-similarity", "60", "--region", "广东", "--json"
    )
    assert as_json.returncode == 0, as_json.stderr
    response = json.loads(as_json.stdout)
    assert response["offers"][0]["offer"]["offer_id"] == manifest().source_offer_id
    # Live rows say no region: the report counts the offers 广东 could not be checked for.
    reports = {r["filter"]: r for r in response["filter_reports"]}
    unknown = sum(1 for r in response["offers"] if r["region_unknown"])
    assert reports["regions"]["unchecked"] == unknown > 0


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


def test_verify_names_the_photos_and_a_failed_ones_reason(stack: Stack, tmp_path: Path) -> None:
    good = tmp_path / "front.jpg"
    good.write_bytes(variant("phone_rotated.jpg", 930))
    other = tmp_path / "side.jpg"
    other.write_bytes(variant("product.webp", 931))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    result = _cli(stack, "verify", str(good), str(other), str(broken), "--locale", "en")
    assert result.returncode == 0, result.stderr
    assert "photo front.jpg: ok" in result.stdout
    failed = next(line for line in result.stdout.splitlines() if "photo broken.png" in line)
    assert "failed:" in failed and len(failed.split("failed:")[1].strip()) > 3


def test_batch_csv_list_names_a_missing_file_and_writes_a_bom(stack: Stack, tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(variant("product.webp", 940))
    listing = tmp_path / "list.csv"
    listing.write_text("id,photo\nfirst,a.jpg\nsecond,gone.jpg\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = _cli(stack, "batch", str(listing), "--out", str(out))
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = {r["id"]: r for r in csv.DictReader(raw.decode("utf-8-sig").splitlines())}
    assert rows["first"]["ok"] == "True"
    assert rows["second"]["ok"] == "False"
    assert "not found" in rows["second"]["error"] and "gone.jpg" in rows["second"]["error"]
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = _cli(stack, "batch", str(empty))
    assert nothing.returncode == 2 and "no photos" in nothing.stderr


def test_plan_compares_offers_side_by_side(stack: Stack) -> None:
    # The README's example: two offers of the default catalog that take custom orders.
    result = _cli(stack, "plan", "550154828275", "548271186522", "--qty", "200", "--to", "浙江")
    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if "550154828275" in line)
    assert "548271186522" in header  # one table, a column per offer
    for line in ("打样费", "样品运费", "大货", "运费", "定金", "尾款"):
        assert line in result.stdout
    assert "最便宜" in result.stdout and "+20 %" in result.stdout


def test_a_batch_that_runs_out_of_budget_exits_4(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(3):
        (folder / f"p{index}.jpg").write_bytes(variant("product.webp", 950 + index))
    budget = {"FF_GATEWAY_BUDGETS": "product.search.imageQuery=1", "FF_GATEWAY_PHASH_DISTANCE": "0"}
    with running_stack(budget) as small:
        result = _cli(small, "batch", str(folder), "--out", str(tmp_path / "r.jsonl"))
        assert result.returncode == 4, result.stderr
        quota = _cli(small, "quota", "--json")
        usage = {u["api"]: u for u in json.loads(quota.stdout)["usage"]}
        line = usage["product.search.imageQuery"]
        assert line["remaining"] == 0 and line["exhausted"] is True


def test_search_plans_the_answers_source(stack: Stack, photo: Path) -> None:
    result = _cli(stack, "search", str(photo), "--plan", "200", "--json")
    assert result.returncode == 0, result.stderr
    both = json.loads(result.stdout)
    source = both["search"]["answer"]["source_offer_id"]
    assert source == manifest().source_offer_id
    plan = both["plan"]
    planned = [p["offer_id"] for p in plan["plans"]]
    refused = [r["offer_id"] for r in plan["refusals"]]
    assert source in planned + refused
    if source in refused:
        refusal = next(r for r in plan["refusals"] if r["offer_id"] == source)
        assert refusal["evidence"], "a refusal says why"
