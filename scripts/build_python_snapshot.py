"""Save workerd's baseline Python memory snapshot for local runs.

A Python Worker's start is mostly Pyodide initialising itself: about 9 s of CPU per local start
on this machine kind, which the test suite pays once per Worker it starts. Production starts
Python Workers from a memory snapshot instead. workerd can save a baseline one locally
(`--python-save-baseline-snapshot`: Pyodide initialised, before any of the Worker's own code
runs) and start from it (`--python-load-snapshot`); scripts/workerd does both. This script starts
the Worker once with saving on, waits for its first answer, and keeps the snapshot in
.build/python-snapshot/ (setup.sh runs it again when the runtime or the vendored packages
change).

Usage: .venv/bin/python scripts/build_python_snapshot.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from rewind_devkit.local_worker import ROOT, LocalWorker

SNAPSHOT_DIR = ROOT / ".build" / "python-snapshot"
SNAPSHOT_NAME = "snapshot.bin"


def main() -> None:
    """Start the Worker with saving on, then move the saved snapshot into place."""
    with tempfile.TemporaryDirectory(prefix="rw-snapshot-") as saved:
        os.environ["REWIND_SAVE_PYTHON_SNAPSHOT"] = saved
        with LocalWorker(log_level="warn"):
            pass  # started means it answered: Pyodide has been initialised and saved
        snapshot = Path(saved) / SNAPSHOT_NAME
        if not snapshot.is_file() or snapshot.stat().st_size == 0:
            raise SystemExit(f"workerd saved no snapshot in {saved}")
        SNAPSHOT_DIR.mkdir(parents=True, exist_ok=True)
        partial = SNAPSHOT_DIR / f"{SNAPSHOT_NAME}.partial"
        shutil.move(snapshot, partial)  # the temp dir may be another file system
        partial.rename(SNAPSHOT_DIR / SNAPSHOT_NAME)


if __name__ == "__main__":
    main()
