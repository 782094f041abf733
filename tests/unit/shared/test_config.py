"""Typed settings: required values, bad values named, secrets from NAME or NAME_FILE."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from shared.config import ConfigError, int_range, load, secret_env_names, setting


@dataclass(frozen=True)
class Example:
    ENV_PREFIX: ClassVar[str] = "FF_EXAMPLE"

    token: str = setting("{prefix}_TOKEN", "", secret=True)
    port: int = setting("{prefix}_PORT", 0, parse=int_range(0, 65535))


def test_a_secret_comes_from_its_variable_or_its_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-file\n", encoding="utf-8")
    assert load(Example, {"FF_EXAMPLE_TOKEN_FILE": str(secret)}).token == "from-file"
    both = {"FF_EXAMPLE_TOKEN": "direct", "FF_EXAMPLE_TOKEN_FILE": str(secret)}
    assert load(Example, both).token == "direct"
    assert secret_env_names(Example) == ["FF_EXAMPLE_TOKEN"]


def test_an_unreadable_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FF_EXAMPLE_TOKEN_FILE"):
        load(Example, {"FF_EXAMPLE_TOKEN_FILE": str(tmp_path / "missing")})


def test_a_bad_value_is_named() -> None:
    with pytest.raises(ConfigError, match=r"FF_EXAMPLE_PORT='99999' is invalid"):
        load(Example, {"FF_EXAMPLE_PORT": "99999"})
