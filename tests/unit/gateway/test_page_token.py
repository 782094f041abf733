"""Page tokens: round trip, and refusals of anything we did not make."""

from __future__ import annotations

import base64
import json

import pytest

from services.gateway.page_token import PageToken, PageTokenError, decode

SHA = "a" * 64


def forge(fields: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def test_round_trip() -> None:
    token = PageToken(SHA, 3, "f00d")
    assert decode(token.encode()) == token
    assert "=" not in token.encode()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "!!!",
        forge([1, 2]),
        forge({"v": 2, "i": SHA, "p": 2, "f": "x"}),
        forge({"v": 1, "i": "not-a-sha", "p": 2, "f": "x"}),
        forge({"v": 1, "i": SHA, "p": 1, "f": "x"}),
        forge({"v": 1, "i": SHA, "p": True, "f": "x"}),
        forge({"v": 1, "i": SHA, "p": 10_001, "f": "x"}),
        forge({"v": 1, "i": SHA, "p": 2, "f": ""}),
    ],
)
def test_refusals(text: str) -> None:
    with pytest.raises(PageTokenError):
        decode(text)
