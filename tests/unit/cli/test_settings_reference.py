"""Every setting is documented, in the syntax its variable takes, and docs/settings.md is
the generated reference as of now."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from services.cli.settings_reference import SETTINGS_CLASS, reference, settings_class
from shared.config import describe

ROOT = Path(__file__).parents[3]


@pytest.mark.parametrize("service", list(SETTINGS_CLASS))
def test_every_setting_has_a_one_line_description_and_a_readable_default(service: str) -> None:
    for info in describe(settings_class(service)):
        assert info.description, f"{info.variable}: add a comment right above its field"
        assert "\n" not in info.description
        # No Python reprs: what is shown is what one would write in the variable.
        assert not re.search(r"Decimal\(|<\w+\.|\{|\(\(|'|True|False", info.default), (
            info.variable,
            info.default,
        )


def test_the_settings_reference_is_current() -> None:
    current = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert current == reference(), (
        "docs/settings.md is stale: python -m services.cli.settings_reference > docs/settings.md"
    )


def test_the_readme_links_the_reference() -> None:
    assert "(docs/settings.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_settings_markdown_prints_the_services_table() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "settings", "planning", "--markdown"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "| `FF_PLANNING_MARKUPS` | `simple=0.10,standard=0.20,complex=0.35` |" in done.stdout
    assert "| `FF_PLANNING_FREIGHT_RATES` | `广东=1.2,浙江=1.5,*=2.0` |" in done.stdout


def test_serve_help_shows_the_sandbox_flags_the_readme_names() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "serve", "sandbox", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--app" in done.stdout and "--budget" in done.stdout


def test_documents_the_makefile_and_readmes_point_at_exist() -> None:
    sources = [ROOT / "Makefile", *ROOT.glob("*.md"), *ROOT.glob("*/README.md")]
    sources += [*ROOT.glob("*/*/README.md")]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for target in re.findall(r"[\w./-]+\.md\b", text):
            if target.startswith("http"):
                continue
            candidates = [source.parent / target, ROOT / target]
            assert any(c.exists() for c in candidates), f"{source.name} points at {target}"


def test_make_shell_puts_factoryfinder_on_path(tmp_path: Path) -> None:
    done = subprocess.run(
        ["make", "-s", "shell"],
        cwd=ROOT,
        input="command -v factoryfinder\nexit\n",
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("/.venv/bin/factoryfinder"), done.stdout
