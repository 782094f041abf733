"""The form body encoder gives byte for byte what ``urllib.parse.urlencode`` gives."""

from __future__ import annotations

import base64
import json
import random
import urllib.parse

import pytest

from services.gateway.upstream import form


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain_TEXT-0.9~",
        "a b",
        "100%",
        "%25 +",
        "a+b=c&d",
        "纯棉 T恤",
        '{"k":"/v"}',
        "\x00\x7f",
    ],
)
def test_quote_plus_matches_the_standard_library(text: str) -> None:
    assert form.quote_plus(text) == urllib.parse.quote_plus(text, safe="")


def test_random_texts_match_the_standard_library() -> None:
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(32, 127)] + ["中", "é", "\u3000", "%", "+", " "]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 16)))
        assert form.quote_plus(text) == urllib.parse.quote_plus(text, safe="")


def test_an_upload_form_matches_urlencode() -> None:
    photo = base64.b64encode(random.Random(3).randbytes(50_000)).decode()
    fields = {
        "uploadImageParam": json.dumps({"imageBase64": photo}, separators=(",", ":")),
        "access_token": "tok/+=",
        "_aop_timestamp": "1718000000000",
        "_aop_signature": "0A1B",
    }
    body = form.encode(fields)
    assert body == urllib.parse.urlencode(fields).encode()
    assert dict(urllib.parse.parse_qsl(body.decode())) == fields
