"""The layering holds, and the check that says so can fail.

``lint-imports`` reads the contracts in pyproject.toml. The planted cases run it on a copy of
``shared`` and ``services`` (Python files only) with one forbidden import added, so a
contract that silently stopped matching would be caught here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_tree(tmp_path: Path) -> Path:
    for package in ("shared", "services"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "sample_photos", "*.md"),
        )
    return tmp_path


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("shared/money.py", "import services.ranking.scoring", "shared imports no service"),
        (
            "services/planning/freight.py",
            "import services.ranking.domain",
            "services are independent",
        ),
        (
            "services/gateway/settings.py",
            "import services.sandbox.settings",
            "services are independent",
        ),
        (
            "services/cli/demo.py",
            "import services.ranking.scoring",
            "the command line imports only the services' entry points",
        ),
        (
            "services/sandbox/settings.py",
            "import services.cli.render",
            "no service imports the command line",
        ),
    ],
)
def test_a_planted_violation_fails_the_check(
    tmp_path: Path, module: str, planted: str, contract: str
) -> None:
    project = _copy_tree(tmp_path)
    target = project / module
    target.write_text(target.read_text() + f"\n{planted}  # planted\n")
    result = _lint(project)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout, result.stdout
    # The copy is what was checked, not the installed tree.
    assert planted.split()[-1] in result.stdout
