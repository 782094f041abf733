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


def test_every_map_takes_key_equals_value_and_still_reads_key_colon_value() -> None:
    from shared.config import parse_pairs

    assert parse_pairs("a=1, b=2") == [("a", "1"), ("b", "2")]
    assert parse_pairs("a:1,b=2") == [("a", "1"), ("b", "2")]
    with pytest.raises(ValueError, match="key=value"):
        parse_pairs("a=1,b")


def test_defaults_are_shown_in_the_syntax_the_variable_takes() -> None:
    from decimal import Decimal
    from enum import Enum

    from shared.config import format_value

    class Size(Enum):
        SMALL = "small"

    assert format_value(True) == "true"
    assert format_value(10.0) == "10"
    assert format_value(["a", "b"]) == "a,b"
    assert format_value({Size.SMALL: Decimal("0.10")}) == "small=0.10"
    assert format_value({"t": {"api": 3}}) == "t@api=3"
    assert format_value(((100, Decimal("20")), (None, Decimal("50")))) == "100=20,*=50"
