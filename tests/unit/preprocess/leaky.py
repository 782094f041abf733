"""A stand-in for a leaking decoder, in its own module: workers unpickle it by importing this
module, which (unlike a test module) builds no sample photos at import."""

from __future__ import annotations

import os

_HELD: list[bytes] = []


def leak(megabytes: int) -> int:
    """Memory that stays resident in the worker after the call; the worker's pid."""
    _HELD.append(os.urandom(megabytes << 20))
    return os.getpid()
