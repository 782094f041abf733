"""One set, one owner: ``factoryfinder up`` leaves no process behind and never shares a port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0


def _up(tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FF_GATEWAY_DATA_DIR": str(tmp_path / "gateway")}
    env["FF_ENDPOINTS_FILE"] = str(tmp_path / "endpoints.json")
    command = [sys.executable, "-m", "services.cli.main", "up", "--no-demo"]
    command += ["--log-dir", str(tmp_path / "logs"), *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _processes() -> list[tuple[int, str, int, int]]:
    """(pid, state, parent, process group) of every process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found.append((int(entry.name), fields[0], int(fields[1]), int(fields[2])))
    return found


def _children(pid: int) -> list[int]:
    return [p for p, _, parent, _ in _processes() if parent == pid]


def _group_alive(pgid: int) -> bool:
    """A member of the group still runs (a zombie waiting for init to reap it is dead)."""
    return any(group == pgid and state != "Z" for _, state, _, group in _processes())


def _port_open(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) == 0


def _read_until(process: subprocess.Popen[bytes], marker: bytes) -> list[str]:
    assert process.stdout is not None
    lines: list[bytes] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(marker):
            return [ln.decode() for ln in lines]
    stderr = process.stderr.read().decode() if process.stderr else ""
    pytest.fail(f"up did not print {marker!r}: {b''.join(lines).decode()} {stderr}")


def test_up_whose_reader_exits_then_sighup_leaves_nothing(tmp_path: Path) -> None:
    process = _up(tmp_path, "--aggregator-port", "0")
    try:
        lines = _read_until(process, b"Try")
        addresses = [ln.split()[1] for ln in lines if ln.startswith("  ") and ":" in ln.split()[1]]
        assert len(addresses) == 6, lines
        children = _children(process.pid)
        assert len(children) == 6, children
        groups = [os.getpgid(pid) for pid in children]
        assert process.stdout is not None
        process.stdout.close()  # the reader exits, as `make run | head` does
        process.send_signal(signal.SIGHUP)
        assert process.wait(timeout=STOP_TIMEOUT_S) is not None
        assert [g for g in groups if _group_alive(g)] == []
        assert [a for a in addresses if _port_open(a)] == []
        assert not (tmp_path / "endpoints.json").exists()
    finally:
        if process.poll() is None:
            process.kill()


def test_children_die_with_a_killed_launcher(tmp_path: Path) -> None:
    process = _up(tmp_path, "--aggregator-port", "0")
    try:
        _read_until(process, b"Try")
        groups = [os.getpgid(pid) for pid in _children(process.pid)]
        process.kill()
        process.wait()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while [g for g in groups if _group_alive(g)] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [g for g in groups if _group_alive(g)] == []
    finally:
        if process.poll() is None:
            process.kill()


def test_a_second_up_on_a_busy_port_fails_fast_naming_it(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        process = _up(tmp_path, "--aggregator-port", str(port))
        _, stderr = process.communicate(timeout=STOP_TIMEOUT_S)
        assert process.returncode == 2
        message = stderr.decode().strip().splitlines()
        assert len(message) == 1, message
        assert f"127.0.0.1:{port}" in message[0]
        assert "in use" in message[0] and "--aggregator-port" in message[0]
        # Refused before any service was started: nothing to wait for.
        assert time.monotonic() - started < START_TIMEOUT_S
        assert _children(process.pid) == []


def test_a_bad_setting_stops_up_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = {**os.environ, "FF_PLANNING_DEPOSIT_RATE": "2"}
    env["FF_ENDPOINTS_FILE"] = str(tmp_path / "endpoints.json")
    env["FF_GATEWAY_DATA_DIR"] = str(tmp_path / "gateway")
    command = [sys.executable, "-m", "services.cli.main", "up", "--no-demo"]
    command += ["--aggregator-port", "0", "--log-dir", str(tmp_path / "logs")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=START_TIMEOUT_S)
    assert process.returncode == 2, stderr
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "FF_PLANNING_DEPOSIT_RATE" in lines[0], lines
    assert "Traceback" not in stdout.decode() + stderr.decode()
    # The services started before the refusal were stopped (they carry this test's file path).
    assert _with_environment(str(tmp_path / "endpoints.json")) == []


def _with_environment(marker: str) -> list[int]:
    """Live processes whose environment mentions ``marker``."""
    found = []
    for pid, state, _, _ in _processes():
        try:
            environment = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if state != "Z" and marker.encode() in environment:
            found.append(pid)
    return found
