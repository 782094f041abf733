"""A SIGKILLed preprocess service leaves no worker or forkserver behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the ")" that closes the command name: state, ppid, ...
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_killed_service_takes_its_workers_with_it() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "serve", "preprocess"],
        env={**os.environ, "FF_PREPROCESS_PORT": "0", "FF_PREPROCESS_WORKERS": "2"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    assert re.search(r"listening on", server.stdout.readline())
    forkservers = _children(server.pid)
    workers = {w for f in forkservers for w in _children(f)}
    assert len(workers) == 2, (forkservers, workers)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in forkservers | workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in forkservers | workers if _alive(p)]
