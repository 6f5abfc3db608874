"""The README's commands: `make dev` serves the API, `make demo` shows a miss then a hit and
stops everything it started however it is stopped."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
from PIL import Image

from rewind_devkit.local_worker import ROOT, LocalWorker, free_port

DEMO_TIMEOUT_S = 300
STOP_TIMEOUT_S = 30


def test_dev_command_serves_health_and_prints_a_working_key(worker: LocalWorker) -> None:
    # The session's Worker was started through scripts/dev.py, which `make dev` runs.
    health = httpx.get(f"{worker.base_url}/v1/health", timeout=10)
    assert health.json()["status"] == "ok"
    output = worker.log()
    key = output.split("Authorization: Bearer ", 1)[1].split("'", 1)[0]
    assert key.startswith("rw_live_")
    response = httpx.get(
        f"{worker.base_url}/v1/images/listening/albums/x/huge",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.json()["error"].startswith("Invalid size: huge")


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except ProcessLookupError:
        return None


def _processes_in_sessions(sessions: set[int]) -> list[str]:
    """Command lines of live (not zombie) processes in any of these sessions."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, ...
            state, sid = fields[0], int(fields[3])
            if sid in sessions and state != "Z":
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def _port_free(port: int) -> bool:
    """Whether a new server could listen there (closed connections may linger in TIME_WAIT,
    which SO_REUSEADDR allows, as servers set it; a listener still there does not)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _wait_until(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)  # poll interval of the condition, not a stand-in for it
    return bool(condition())  # type: ignore[operator]


def test_make_demo_shows_a_miss_then_a_hit_and_sigterm_stops_all_of_it(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "demo.log"

    def as_background_job() -> None:
        # A shell starts a background job with SIGINT ignored; start `make demo` like that.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    with log_path.open("wb") as log:
        make = subprocess.Popen(
            ["make", "demo", f"PORT={port}"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, as a job of a shell would be
            preexec_fn=as_background_job,
        )
    sessions = {make.pid}
    try:
        assert _wait_until(
            lambda: "Try it yourself" in log_path.read_text() or make.poll() is not None,
            DEMO_TIMEOUT_S,
        ), log_path.read_text()
        output = log_path.read_text()
        lines = [line for line in output.splitlines() if line.startswith("GET ")]
        assert len(lines) == 6, output
        assert all("->  302" in line for line in lines)
        assert "x-thumbhash:" in output
        # Every Location it prints can be followed: the local CDN serves the variant's bytes.
        locations = [
            line.split("location: ", 1)[1] for line in output.splitlines() if "location: " in line
        ]
        assert len(locations) == 6
        for location in locations:
            variant = httpx.get(location, timeout=60)
            assert variant.status_code == 200, (location, variant.text)
            assert Image.open(io.BytesIO(variant.content)).size == (300, 300)
        # The demo's Worker runs in a session of its own: note it before stopping the demo.
        wrangler = subprocess.run(
            ["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True, check=False
        )
        pids = [int(p) for p in wrangler.stdout.split()]
        sessions |= {s for s in map(_session_of, pids) if s is not None}
        assert len(sessions) >= 2, "the demo's wrangler dev was not found"
        assert not _port_free(port)

        os.killpg(make.pid, signal.SIGTERM)  # how a process manager or `kill` stops a job

        assert _wait_until(lambda: not _processes_in_sessions(sessions), STOP_TIMEOUT_S), (
            _processes_in_sessions(sessions),
            log_path.read_text(),
        )
        assert _port_free(port)
    finally:
        for session in sessions:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(session, signal.SIGKILL)
        make.wait(STOP_TIMEOUT_S)
