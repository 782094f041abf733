"""Exact call counts per app key and API, and a log of every API request.

Counts include every request that named an app key and an API, refused or
not; tests of other services use them to prove caching and retries. The log
keeps, for the last ``capacity`` requests, the API, app key, outcome and the
sandbox process's ``time.monotonic()`` at arrival and at reply, which is how a
test proves that requests overlapped in time, and the caller's request id (its
``x-request-id`` HTTP header, "" without one), so a bench can attribute
upstream time to each of its requests. The window is the sandbox's whole handling
of the request: from when the HTTP layer received it (before its form, up to
hundreds of KB of base64 for an upload, is read and parsed) to when the reply,
rendered as JSON with its headers, is handed to the socket, so none of the sandbox's
work is counted as its caller's (and none of the caller's as the sandbox's: the
caller can have the reply as soon as it is handed over).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class LoggedRequest:
    seq: int
    app_key: str
    api: str
    method: str
    start: float
    end: float | None = None
    status: int | None = None
    error_code: str | None = None
    request_id: str = ""


class RequestLog:
    def __init__(self, capacity: int) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=capacity)
        self._counts: Counter[tuple[str, str]] = Counter()
        self._seq = itertools.count(1)

    def begin(
        self,
        app_key: str,
        api: str,
        method: str,
        request_id: str = "",
        received: float | None = None,
    ) -> LoggedRequest:
        """Log a request's start: ``received`` (``time.monotonic()``) if given, else now."""
        start = time.monotonic() if received is None else received
        entry = LoggedRequest(next(self._seq), app_key, api, method, start, request_id=request_id)
        self._entries.append(entry)
        self._counts[(app_key, api)] += 1
        return entry

    @staticmethod
    def finish(entry: LoggedRequest, status: int, error_code: str | None) -> None:
        entry.end = time.monotonic()
        entry.status = status
        entry.error_code = error_code

    @staticmethod
    def replied(entry: LoggedRequest) -> None:
        """The reply is rendered, only handing it to the socket is left: the handling ends."""
        entry.end = time.monotonic()

    def counts(self) -> dict[str, dict[str, int]]:
        report: dict[str, dict[str, int]] = {}
        for (app_key, api), count in sorted(self._counts.items()):
            report.setdefault(app_key, {})[api] = count
        return report

    def entries(self, since_seq: int = 0, api: str | None = None) -> list[dict[str, Any]]:
        return [
            asdict(entry)
            for entry in self._entries
            if entry.seq > since_seq and (api is None or entry.api == api)
        ]

    def reset(self) -> None:
        self._entries.clear()
        self._counts.clear()
