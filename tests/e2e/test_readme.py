"""The README's quick start and command line, walked as a new user would: a fresh shell (no
activated venv, no exports), ``make run`` in one "terminal", every other command shown in
another, each as written. All must succeed."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 60.0
PUBLIC_PORT = 50051


def section_commands(title: str) -> list[str]:
    """The lines of every ```sh block in the README section ``title`` (comments dropped)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else len(text)]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", body, flags=re.DOTALL):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def _fresh_env(home: Path) -> dict[str, str]:
    """What a new login shell has: no venv, no FF_* variables, its own home."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_readme_commands_work_as_written(tmp_path: Path) -> None:
    quick_start = section_commands("Quick start")
    command_line = section_commands("Command line")
    assert quick_start[0] == "make run", quick_start
    if _port_in_use(PUBLIC_PORT):
        pytest.skip(f"port {PUBLIC_PORT} is taken by another running set on this machine")
    env = _fresh_env(tmp_path)
    created = [p for p in (ROOT / "report.html", ROOT / "results.csv") if not p.exists()]
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        runner = subprocess.Popen(
            ["bash", "-c", quick_start[0]],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while b"Serving until Ctrl-C." not in log.read_bytes():
            assert runner.poll() is None, log.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(0.5)
        printed = log.read_text(errors="replace")
        try_line = next(line for line in printed.splitlines() if line.startswith("Try"))
        commands = [*quick_start[1:], *command_line, try_line.split(": ", 1)[1]]
        for command in commands:
            done = subprocess.run(
                ["bash", "-c", command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=240,
                check=False,
            )
            assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            assert "Traceback" not in done.stderr, command
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGINT)  # Ctrl-C in the first terminal
            try:
                runner.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(runner.pid, signal.SIGKILL)
                runner.wait()
        for path in created:
            path.unlink(missing_ok=True)
    assert not _port_in_use(PUBLIC_PORT)
