"""The body of a form POST (``application/x-www-form-urlencoded``), encoded in C.

The same bytes as ``urllib.parse.urlencode`` (which httpx uses for ``data=``): UTF-8,
letters, digits and ``_.-~`` kept, a space as ``+``, every other byte as ``%XX``. The
standard library quotes a byte at a time in Python, and an upload carries the photo as
~100-300 KB of base64 in one parameter: that loop was the largest part of the gateway's
own CPU per search. Here each distinct byte that needs quoting is replaced in one
``bytes.replace`` pass (a base64 photo has a handful of them: ``+ / = " { } :``).
"""

from __future__ import annotations

import string
from collections.abc import Mapping

CONTENT_TYPE = "application/x-www-form-urlencoded"
_SAFE = (string.ascii_letters + string.digits + "_.-~").encode()
_PERCENT, _SPACE = ord("%"), ord(" ")


def quote_plus(text: str) -> str:
    """``urllib.parse.quote_plus(text, safe="")``."""
    data = text.encode("utf-8")
    unsafe = set(data.translate(None, _SAFE))
    # "%" first (the other replacements bring in "%"), a space last (as "+", itself quoted).
    for byte in sorted(unsafe, key=lambda b: (b != _PERCENT, b == _SPACE)):
        quoted = b"+" if byte == _SPACE else b"%%%02X" % byte
        data = data.replace(bytes((byte,)), quoted)
    return data.decode("ascii")


def encode(form: Mapping[str, str]) -> bytes:
    """The form's body, fields in the mapping's order."""
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in form.items()).encode("ascii")
