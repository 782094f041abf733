"""OAuth tokens sealed before they reach the store (the SQLite file, Redis).

Whoever can read the store (a backup, a shared Redis, a debug dump) but not the
app secret learns nothing usable: stored pairs are Fernet tokens (AES-128-CBC
and HMAC-SHA256) under a key derived from the app secret with HKDF-SHA256, so
they are also tamper-evident. A blob that does not open (another app secret, a
tampered value, a plaintext pair from an older release) is simply not used:
the configured pair takes over, as after a re-authorization.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"factoryfinder gateway token store v1"


class TokenSeal:
    """Seals and opens stored token pairs with a key derived from the app's credentials."""

    def __init__(self, app_key: str, app_secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=app_key.encode(), info=_INFO).derive(
            app_secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def __repr__(self) -> str:
        return "TokenSeal(***)"

    def seal(self, plain: bytes) -> bytes:
        return self._fernet.encrypt(plain)

    def open(self, sealed: bytes) -> bytes | None:
        """The plain bytes, or None when the blob was not sealed by this app's secret."""
        try:
            return self._fernet.decrypt(sealed)
        except (InvalidToken, ValueError, TypeError):
            return None
