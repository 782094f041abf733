"""API keys → tenants. Keys are compared by SHA-256 digest so lookups take the
same time whatever the key, and the keys themselves are never kept in logs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from shared.errors import Code, ServiceError

BEARER = "bearer "


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def parse_key_lines(lines: Iterable[str]) -> dict[str, str]:
    """``key:tenant`` entries (comma- or newline-separated, ``#`` comments) → key → tenant."""
    keys: dict[str, str] = {}
    for raw in lines:
        for entry in raw.replace("\n", ",").split(","):
            entry = entry.strip()
            if not entry or entry.startswith("#"):
                continue
            key, sep, tenant = entry.partition(":")
            if not sep or not key.strip() or not tenant.strip():
                raise ValueError("API key entries must look like KEY:TENANT")
            keys[key.strip()] = tenant.strip()
    return keys


class ApiKeys:
    def __init__(self, keys: dict[str, str]) -> None:
        self._tenants = {_digest(key): tenant for key, tenant in keys.items()}

    def __len__(self) -> int:
        return len(self._tenants)

    def tenant_for(self, metadata: Sequence[tuple[str, str | bytes]]) -> str:
        """The caller's tenant from ``authorization: Bearer KEY``; UNAUTHENTICATED otherwise."""
        header = next(
            (
                value
                for name, value in metadata
                if name == "authorization" and isinstance(value, str)
            ),
            "",
        )
        if not header.lower().startswith(BEARER) or not header[len(BEARER) :].strip():
            raise ServiceError(
                Code.UNAUTHENTICATED,
                "API_KEY_MISSING",
                "send your API key as metadata 'authorization: Bearer <key>'",
            )
        tenant = self._tenants.get(_digest(header[len(BEARER) :].strip()))
        if tenant is None:
            raise ServiceError(Code.UNAUTHENTICATED, "API_KEY_INVALID", "unknown API key")
        return tenant
