"""The 1688 Open Platform request signature (`_aop_signature`).

Both the gateway (which signs) and the sandbox (which verifies) use this one
implementation, so they cannot drift apart.

signature = UPPER(HEX(HMAC_SHA1(app_secret, url_path + "".join(sorted(k + v)))))

The joined ``k + v`` pieces are sorted by code point, as the official SDKs do
(not by key: the two orders differ when one key is a prefix of another), and
values are signed raw (not URL-encoded), as UTF-8.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_PARAM = "_aop_signature"
TIMESTAMP_PARAM = "_aop_timestamp"


def url_path(namespace: str, api_name: str, app_key: str, version: int = 1) -> str:
    """The signed path: ``param2/{version}/{namespace}/{api_name}/{app_key}`` (no host)."""
    return f"param2/{version}/{namespace}/{api_name}/{app_key}"


def sign(path: str, params: Mapping[str, str], app_secret: str) -> str:
    """Return the uppercase hex HMAC-SHA1 signature of ``path`` and ``params``.

    ``params`` must not contain ``_aop_signature`` itself.
    """
    pieces = sorted(key + value for key, value in params.items() if key != SIGNATURE_PARAM)
    message = (path + "".join(pieces)).encode("utf-8")
    digest = hmac.new(app_secret.encode("utf-8"), message, hashlib.sha1).hexdigest()
    return digest.upper()


def verify(path: str, params: Mapping[str, str], app_secret: str) -> bool:
    """True when ``params[_aop_signature]`` is the signature of the other params."""
    given = params.get(SIGNATURE_PARAM, "")
    expected = sign(path, params, app_secret)
    return hmac.compare_digest(given.upper(), expected)
