"""API keys: each bearer key names its tenant; a missing or unknown key is refused."""

from __future__ import annotations

import pytest

from services.aggregator.auth import ApiKeys, parse_key_lines
from shared.errors import Code, ServiceError


def test_api_keys_map_to_tenants() -> None:
    keys = ApiKeys(parse_key_lines(["k1:acme, k2:globex", "# comment", "k3:acme"]))
    assert keys.tenant_for((("authorization", "Bearer k2"),)) == "globex"
    assert keys.tenant_for((("authorization", "bearer k3"),)) == "acme"
    with pytest.raises(ServiceError) as missing:
        keys.tenant_for(())
    assert (missing.value.code, missing.value.reason) == (Code.UNAUTHENTICATED, "API_KEY_MISSING")
    with pytest.raises(ServiceError) as wrong:
        keys.tenant_for((("authorization", "Bearer nope"),))
    assert wrong.value.reason == "API_KEY_INVALID"


def test_malformed_key_entries_are_refused() -> None:
    with pytest.raises(ValueError, match="KEY:TENANT"):
        parse_key_lines(["just-a-key"])
