"""Save the Worker's dedicated Python memory snapshot for local runs.

A Python Worker's start is mostly Pyodide initialising itself and importing the Worker's
modules (pydantic, the routes): about 7 s of CPU per local start on this machine kind, which the
test suite pays once per Worker it starts. Production starts Python Workers from a dedicated
memory snapshot made at upload (compatibility flag python_dedicated_snapshot, implied by our
compatibility date). workerd can save one locally (`--python-save-snapshot`) and start from it
(`--python-load-snapshot`): then a start costs about 3 s of CPU.

This script starts the Worker once with saving on, waits for its first answer, and keeps the
snapshot in .build/python-snapshot/<code digest>/ (older ones are removed). scripts/workerd
loads it only while the code on disk has that digest; setup.sh runs this when it does not.

Usage: .venv/bin/python scripts/build_python_snapshot.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from rewind_devkit.local_worker import ROOT, LocalWorker

SNAPSHOTS = ROOT / ".build" / "python-snapshot"
SNAPSHOT_NAME = "snapshot.bin"


def code_digest() -> str:
    """The digest scripts/workerd looks a snapshot up by (one definition, in that script)."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "workerd"), "--code-digest"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def main() -> None:
    """Start the Worker with saving on, then move the saved snapshot into place."""
    digest = code_digest()
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix="partial-", dir=SNAPSHOTS))
    try:
        os.environ["REWIND_SAVE_PYTHON_SNAPSHOT"] = str(partial)
        with LocalWorker(log_level="warn"):
            pass  # started means it answered: Pyodide is initialised and the modules imported
        saved = partial / SNAPSHOT_NAME
        if not saved.is_file() or saved.stat().st_size == 0:
            raise SystemExit(f"workerd saved no snapshot in {partial}")
        for old in SNAPSHOTS.iterdir():
            if old != partial:
                shutil.rmtree(old, ignore_errors=True)
        partial.rename(SNAPSHOTS / digest)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


if __name__ == "__main__":
    main()
