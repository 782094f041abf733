"""Gateway settings: names, parsers, secrets from files, nothing secret in the repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.gateway.settings import (
    DEFAULT_BUDGETS,
    GatewaySettings,
    load_gateway_settings,
    parse_budgets,
    parse_tenant_shares,
)
from shared.config import ConfigError, env_names

BASE = {
    "FF_GATEWAY_APP_KEY": "1234567",
    "FF_GATEWAY_APP_SECRET": "app-secret-value",
    "FF_GATEWAY_ACCESS_TOKEN": "access-token-value",
}


def test_defaults() -> None:
    settings = load_gateway_settings(BASE)
    assert settings.connect_timeout_s == 10.0
    assert settings.read_timeout_s == 30.0
    assert settings.budgets == DEFAULT_BUDGETS
    assert not hasattr(settings, "thumbnails")
    assert settings.refresh_token_param == "refresh_token"
    assert settings.resolved_store_url.startswith("sqlite:///")
    assert settings.resolved_store_url.endswith("/var/gateway/gateway.db")


def test_every_variable_has_the_prefix() -> None:
    names = env_names(GatewaySettings)
    assert all(name.startswith("FF_GATEWAY_") for name in names)
    assert {"FF_GATEWAY_APP_SECRET", "FF_GATEWAY_BUDGETS", "FF_GATEWAY_STORE_URL"} <= set(names)


def test_secrets_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file-secret\n")
    token = tmp_path / "token"
    token.write_text("from-file-token")
    env = {
        "FF_GATEWAY_APP_KEY": "1",
        "FF_GATEWAY_APP_SECRET_FILE": str(secret),
        "FF_GATEWAY_REFRESH_TOKEN_FILE": str(token),
    }
    settings = load_gateway_settings(env)
    assert settings.app_secret == "from-file-secret"
    assert settings.refresh_token == "from-file-token"
    assert settings.access_token == ""


def test_repr_leaves_secrets_out() -> None:
    text = repr(load_gateway_settings({**BASE, "FF_GATEWAY_REFRESH_TOKEN": "refresh-value"}))
    assert "1234567" in text
    for value in ("app-secret-value", "access-token-value", "refresh-value"):
        assert value not in text


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"FF_GATEWAY_APP_SECRET": "x", "FF_GATEWAY_ACCESS_TOKEN": "t"}, "FF_GATEWAY_APP_KEY"),
        ({"FF_GATEWAY_APP_KEY": "1", "FF_GATEWAY_ACCESS_TOKEN": "t"}, "FF_GATEWAY_APP_SECRET"),
        ({"FF_GATEWAY_APP_KEY": "1", "FF_GATEWAY_APP_SECRET": "x"}, "FF_GATEWAY_ACCESS_TOKEN"),
        ({**BASE, "FF_GATEWAY_BUDGETS": "imageQuery"}, "FF_GATEWAY_BUDGETS"),
        ({**BASE, "FF_GATEWAY_PHASH_DISTANCE": "40"}, "FF_GATEWAY_PHASH_DISTANCE"),
        ({**BASE, "FF_GATEWAY_QPS": "0"}, "FF_GATEWAY_QPS"),
    ],
)
def test_bad_or_missing_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_gateway_settings(env)


def test_an_unreadable_secret_file_is_named() -> None:
    env = {
        "FF_GATEWAY_APP_KEY": "1",
        "FF_GATEWAY_APP_SECRET_FILE": "/nonexistent/secret",
        "FF_GATEWAY_ACCESS_TOKEN": "t",
    }
    with pytest.raises(ConfigError, match="FF_GATEWAY_APP_SECRET_FILE"):
        load_gateway_settings(env)


def test_budgets_override_only_what_they_name() -> None:
    budgets = parse_budgets("product.search.imageQuery=50, extra.api=3")
    assert budgets["product.search.imageQuery"] == 50
    assert budgets["extra.api"] == 3
    assert budgets["product.image.upload"] == DEFAULT_BUDGETS["product.image.upload"]


def test_tenant_shares() -> None:
    shares = parse_tenant_shares(
        "acme@product.search.imageQuery=100,*@product.search.imageQuery=10"
    )
    assert shares == {
        "acme": {"product.search.imageQuery": 100},
        "*": {"product.search.imageQuery": 10},
    }
    with pytest.raises(ValueError):
        parse_tenant_shares("acme=3")
