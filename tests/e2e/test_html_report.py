"""``search --html``: one self-contained page, rendered by a real headless browser (Debian's
chromium, installed by ``.ci/system-deps.sh``): the screenshot is not blank and the DOM
holds the answer's offer ids (the shown candidates' ids while no answer is given) and the
plan that was asked for."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.photos import SAMPLES
from tests.e2e.stack import Stack


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: run .ci/system-deps.sh")
        pytest.skip("chromium is not installed (make system-deps)")
    return found


def _browser(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_report_renders_in_a_real_browser_with_the_answers_offers(
    stack: Stack, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    env = {**os.environ, "FF_TARGET": stack.target, "FF_API_KEY": stack.api_key}
    photo = SAMPLES / "product.webp"
    command = [sys.executable, "-m", "services.cli.main", "search", str(photo), "--locale", "en"]
    result = subprocess.run(
        [*command, "--html", str(page), "--json", "--page-size", "6", "--plan", "200"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    response, plans = printed["search"], printed["plan"]
    answer = response["answer"] or {}
    expected = [m["offer_id"] for m in answer.get("match_set", [])] or [
        r["offer"]["offer_id"] for r in response["offers"]
    ]
    assert expected
    html = page.read_text(encoding="utf-8")
    assert "src='http" not in html  # every image is inlined: the page needs no server
    assert html.count("data:image/") >= 2  # the buyer's photo and offers' photos

    dom = _browser("--dump-dom", page.as_uri(), profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    for offer_id in expected:
        assert offer_id in dom.stdout
    planned = [p["offer_id"] for p in plans["plans"]]
    refused = [r["offer_id"] for r in plans["refusals"]]
    assert planned or refused  # the plan was asked for: it, or the refusal, is on the page
    for offer_id in planned:
        assert f'data-plan-offer-id="{offer_id}"' in dom.stdout
    for offer_id in refused:
        assert f'data-refused-offer-id="{offer_id}"' in dom.stdout

    shot = tmp_path / "shot.png"
    rendered = _browser(
        f"--screenshot={shot}",
        "--window-size=1200,1400",
        page.as_uri(),
        profile=tmp_path / "profile-shot",
    )
    assert rendered.returncode == 0 and shot.exists(), rendered.stderr[-2000:]
    with Image.open(shot) as image:
        colors = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # text and photos, not a blank page
    white = sum(count for count, color in colors if color == (255, 255, 255))
    assert white < 0.97 * sum(count for count, _ in colors)
