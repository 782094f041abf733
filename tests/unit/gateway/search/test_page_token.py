"""Page tokens: round trip, and refusals of anything we did not make."""

from __future__ import annotations

import base64
import json

import pytest

from services.gateway.search.page_token import PageToken, PageTokenError, decode

SHA = "a" * 64


def forge(fields: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


def test_round_trip() -> None:
    token = PageToken(SHA, 3, "f00d")
    assert decode(token.encode()) == token
    assert "=" not in token.encode()
    sized = PageToken(SHA, 2, "f00d", 800, 600)
    assert decode(sized.encode()) == sized


def test_a_token_without_an_image_size_has_none() -> None:
    token = decode(forge({"v": 1, "i": SHA, "p": 2, "f": "x"}))
    assert (token.width, token.height) == (0, 0)


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
        forge({"v": 1, "i": SHA, "p": 2, "f": "x", "w": -1, "h": 5}),
        forge({"v": 1, "i": SHA, "p": 2, "f": "x", "w": 8, "h": "5"}),
    ],
)
def test_refusals(text: str) -> None:
    with pytest.raises(PageTokenError):
        decode(text)
