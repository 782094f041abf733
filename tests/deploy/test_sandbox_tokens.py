"""deploy/k8s/overlays/dev/sandbox_tokens.py (the dev init container and compose's one-shot)
against a real sandbox on a loopback port: the files it writes are what the gateway loads."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from services.gateway.settings import load_gateway_settings
from services.sandbox.server import start_sandbox
from services.sandbox.settings import SandboxSettings
from shared.config import load
from tests.deploy.rendered_manifests import DEPLOY

SCRIPT = DEPLOY / "k8s" / "overlays" / "dev" / "sandbox_tokens.py"
APP_KEY, APP_SECRET, ADMIN = "7654321", "dev-secret-for-tests", "admin-for-tests"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sandbox_tokens", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_gateway_starts_from_the_tokens_it_writes(tmp_path: Path) -> None:
    settings = load(
        SandboxSettings,
        {
            "FF_SANDBOX_PORT": "0",
            "FF_SANDBOX_CATALOG_OFFERS": "10",
            "FF_SANDBOX_APPS": f"{APP_KEY}:{APP_SECRET}",
            "FF_SANDBOX_ADMIN_TOKEN": ADMIN,
            "FF_SANDBOX_CACHE_DIR": str(tmp_path / "cache"),
        },
    )
    sandbox = await start_sandbox(settings)
    try:
        script = _script()
        pair = await asyncio.to_thread(script.fetch_pair, sandbox.base_url, APP_KEY, ADMIN)
        script.write_pair(pair, tmp_path / "credentials")
        # A refusal is final (no waiting out the start-up retries): wrong app, wrong admin token.
        for app_key, admin in (("no-such-app", ADMIN), (APP_KEY, "wrong")):
            with pytest.raises(script.urllib.error.HTTPError):
                await asyncio.to_thread(script.fetch_pair, sandbox.base_url, app_key, admin)
    finally:
        await sandbox.stop()
    (tmp_path / "app-secret").write_text(APP_SECRET, encoding="utf-8")
    gateway = load_gateway_settings(
        {
            "FF_GATEWAY_APP_KEY": APP_KEY,
            "FF_GATEWAY_APP_SECRET_FILE": str(tmp_path / "app-secret"),
            "FF_GATEWAY_ACCESS_TOKEN_FILE": str(tmp_path / "credentials" / "access-token"),
            "FF_GATEWAY_REFRESH_TOKEN_FILE": str(tmp_path / "credentials" / "refresh-token"),
        }
    )
    assert gateway.access_token == pair["access_token"] != ""
    assert gateway.refresh_token == pair["refresh_token"] != ""
    assert gateway.app_secret == APP_SECRET
