"""What the launcher hands every service it starts besides its settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cli.launcher import ALLOCATOR_DEFAULTS, spawn_service, stop_all


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


async def test_children_get_the_allocator_thresholds_unless_the_environment_sets_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ALLOCATOR_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    plain = await spawn_service("planning", {"FF_PLANNING_PORT": "0"}, tmp_path)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1048576")
    chosen = await spawn_service(
        "planning", {"FF_PLANNING_PORT": "0"}, tmp_path, log_name="planning-2"
    )
    try:
        given = _environment(plain.process.pid)
        assert {name: given.get(name) for name in ALLOCATOR_DEFAULTS} == ALLOCATOR_DEFAULTS
        kept = _environment(chosen.process.pid)
        assert kept["MALLOC_MMAP_THRESHOLD_"] == "1048576"
        assert kept["MALLOC_TRIM_THRESHOLD_"] == ALLOCATOR_DEFAULTS["MALLOC_TRIM_THRESHOLD_"]
    finally:
        await stop_all([plain, chosen])
