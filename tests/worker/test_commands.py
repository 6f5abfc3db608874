"""The README's commands: `make dev` serves the API, `make demo` shows a miss then a hit."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import httpx

from rewind_devkit.local_worker import ROOT, free_port

READY_TIMEOUT_S = 120


def test_dev_command_serves_health_and_prints_a_working_key(tmp_path) -> None:
    port = free_port()
    log = (tmp_path / "dev.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "scripts/dev.py", "--port", str(port), "--state", str(tmp_path / "st")],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        health = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)  # poll interval while wrangler starts
        assert health is not None, (tmp_path / "dev.log").read_text()
        assert health.json()["status"] == "ok"
        output = (tmp_path / "dev.log").read_text()
        key = output.split("Authorization: Bearer ", 1)[1].split("'", 1)[0]
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/images/listening/albums/x/huge",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.json()["error"].startswith("Invalid size: huge")
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def test_demo_command_shows_a_miss_becoming_a_302_then_a_hit() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/demo.py", "--no-wait", "--port", str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("GET ")]
    assert len(lines) == 6
    assert all("->  302" in line for line in lines)
    assert "x-thumbhash:" in result.stdout
