"""Settings that wire the local stack together (``factoryfinder up``).

Local runs use a fresh sandbox app (random key and secret) and a token pair
minted by the sandbox's admin endpoint: there is no browser for 1688's
authorize step. Secrets reach the services through their environment only.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.sandbox.admin.client import SandboxAdmin


@dataclass(frozen=True)
class SandboxApp:
    app_key: str
    app_secret: str

    @classmethod
    def fresh(cls) -> SandboxApp:
        return cls(str(secrets.randbelow(9_000_000) + 1_000_000), secrets.token_hex(16))

    def sandbox_env(self) -> dict[str, str]:
        return {"FF_SANDBOX_APPS": f"{self.app_key}={self.app_secret}"}


async def gateway_env_for_sandbox(
    sandbox_url: str, app: SandboxApp, data_dir: Path, environ: Mapping[str, str]
) -> dict[str, str]:
    """The gateway's environment for talking to the sandbox at ``sandbox_url``."""
    async with SandboxAdmin(sandbox_url) as admin:
        tokens = await admin.mint_tokens(app.app_key)
    return {
        "FF_GATEWAY_UPSTREAM_URL": f"{sandbox_url}/openapi",
        "FF_GATEWAY_APP_KEY": app.app_key,
        "FF_GATEWAY_APP_SECRET": app.app_secret,
        "FF_GATEWAY_ACCESS_TOKEN": tokens.access_token,
        "FF_GATEWAY_ACCESS_TOKEN_EXPIRES_AT": str(int(time.time()) + tokens.expires_in),
        "FF_GATEWAY_REFRESH_TOKEN": tokens.refresh_token,
        "FF_GATEWAY_REFRESH_TOKEN_EXPIRES_AT": tokens.refresh_token_timeout,
        "FF_GATEWAY_DATA_DIR": environ.get("FF_GATEWAY_DATA_DIR", str(data_dir / "gateway")),
    }


def preprocess_env() -> dict[str, str]:
    # Photos given by URL may be served by the sandbox on loopback.
    return {"FF_PREPROCESS_ALLOW_PRIVATE_URLS": "true"}


def aggregator_env(
    addresses: Mapping[str, str], port: int, api_key: str, tenant: str
) -> dict[str, str]:
    return {
        "FF_AGGREGATOR_PORT": str(port),
        "FF_AGGREGATOR_PREPROCESS_ADDRESSES": addresses["preprocess"],
        "FF_AGGREGATOR_GATEWAY_ADDRESSES": addresses["gateway"],
        "FF_AGGREGATOR_RANKING_ADDRESSES": addresses["ranking"],
        "FF_AGGREGATOR_PLANNING_ADDRESSES": addresses["planning"],
        "FF_AGGREGATOR_API_KEYS": f"{api_key}:{tenant}",
    }
