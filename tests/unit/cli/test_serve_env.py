"""``factoryfinder serve`` sets a service's environment defaults before its modules load."""

from __future__ import annotations

import importlib
import os
import types
from typing import Any

import pytest

from services.cli import main as cli


def _serve(monkeypatch: pytest.MonkeyPatch, service: str) -> str | None:
    seen: dict[str, str | None] = {}

    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None) -> Any:
        if name != f"services.{service}.server":
            return real_import(name, package)
        seen["value"] = os.environ.get("OPENBLAS_NUM_THREADS")
        return types.SimpleNamespace(main=lambda argv: 0)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(SystemExit) as exited:
        cli.app(args=["serve", service])
    assert exited.value.code == 0
    return seen["value"]


@pytest.mark.parametrize("service", ["sandbox", "preprocess"])
def test_numpy_services_load_with_one_blas_thread(
    monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "placeholder")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    assert _serve(monkeypatch, service) == "1"


def test_an_explicit_blas_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    assert _serve(monkeypatch, "sandbox") == "4"


def test_other_services_keep_their_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "placeholder")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    assert _serve(monkeypatch, "ranking") is None
