"""One running stack for every end-to-end test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    # Distance 0: only byte-identical photos share an upload, so each variant uploads.
    with running_stack({"FF_GATEWAY_PHASH_DISTANCE": "0"}) as running:
        yield running
