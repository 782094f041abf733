"""One API call as the handlers see it, and what they answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.sandbox.openapi.signature_check import ApiPath


@dataclass(frozen=True)
class Call:
    path: ApiPath
    params: Mapping[str, str]
    base_url: str

    @property
    def app_key(self) -> str:
        return self.path.app_key


@dataclass(frozen=True)
class Reply:
    """HTTP status and body (a dict is sent as JSON, a str as is)."""

    status: int
    body: Any
    content_type: str = "application/json"


def ok(body: Any) -> Reply:
    return Reply(200, body)
