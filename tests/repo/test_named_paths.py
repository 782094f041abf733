"""Every file path the README, the Makefile and the service READMEs name exists.

A path is a backticked word in a README (or a word in the Makefile) with a ``/`` or a file
extension. It is looked up from the repository root and from the document's folder; a bare
file name (``catalog.py``) anywhere under the document's folder. Paths outside the
repository (``../shared/...``, the team's material, and the bare names of its captured
``*.json`` bodies) and generated ones are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", ROOT / "Makefile", *sorted(ROOT.glob("services/*/README.md"))]
_EXTENSIONS = re.compile(r"\.(py|md|proto|json|yaml|yml|toml|sh|txt|cfg|ini|go|java|mod|xml)$")
_BACKTICKED = re.compile(r"`([^`]+)`")
_WORD = re.compile(r"^(\.{1,2}/)?[\w.-]+(/[\w.-]+)*/?$")
_TOP = ("services/", "shared/", "tests/", "protos/", "deploy/", ".ci/", "./", "../")
_GENERATED = ("protos/gen/", ".venv/", ".tools/")


def _is_path(word: str) -> bool:
    """A repository path, not an API name, URL path or wire value (``system/currentTime``)."""
    if not _WORD.match(word) or re.fullmatch(r"\.\w+", word):
        return False
    if word.startswith(_TOP):
        return True
    return "/" not in word and bool(_EXTENSIONS.search(word)) and not word.endswith(".json")


def _named(document: Path) -> set[str]:
    text = document.read_text()
    if document.name == "Makefile":
        words = set(re.split(r"[\s\"'();|&]+", text))
    else:
        prose = re.sub(r"```.*?```", "", text, flags=re.S)  # code samples are not checked
        words = {m.group(1) for m in _BACKTICKED.finditer(prose)}
    return {
        word.rstrip(".,:") for word in words if "$" not in word and _is_path(word.rstrip(".,:"))
    }


def _exists(document: Path, path: str) -> bool:
    folder = document.parent
    if "/" not in path.rstrip("/"):
        protos = ROOT / "protos" / "factoryfinder" / "v1"
        return (ROOT / path).exists() or any(folder.rglob(path)) or (protos / path).exists()
    return (ROOT / path).exists() or (folder / path).exists()


def _outside(document: Path, path: str) -> bool:
    resolved = (document.parent / path).resolve()
    return path.startswith("..") and not resolved.is_relative_to(ROOT)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_named_path_exists(document: Path) -> None:
    missing = sorted(
        path
        for path in _named(document)
        if not path.startswith(_GENERATED)
        and not _outside(document, path)
        and not _exists(document, path)
    )
    assert missing == []


def test_the_check_sees_a_missing_path(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("Rules live in `services/gateway/nowhere.py` and `gone.py`.\n")
    named = _named(readme)
    assert named == {"services/gateway/nowhere.py", "gone.py"}
    assert not any(_exists(readme, path) for path in named)
