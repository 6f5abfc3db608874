"""`make test`'s pytest step: the workerd layer and the CPython layers in two processes at once.

The machine has two cores. `tests/worker` spends most of its time in workerd (one session Worker,
a second runtime, the demo) while `tests/unit` and `tests/app` run in CPython, so the two halves
overlap well. Each half's output is printed whole when it ends (workerd's first), then one
closing line for both; the exit status is non-zero when either half failed. (pytest-xdist's
grouping does not keep a layer in one process under pytest 9, so the split is done here.)

    .venv/bin/python scripts/test_layers.py [pytest args...]
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HALVES = (("workerd", ["tests/worker"]), ("cpython", ["tests/unit", "tests/app"]))
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)")


def main() -> int:
    """Run both halves, print their outputs, return the combined status."""
    extra = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="rw-tests-") as tmp:
        running = []
        for name, paths in HALVES:
            log = (Path(tmp) / f"{name}.log").open("wb")
            command = [sys.executable, "-m", "pytest", *paths, *extra]
            process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            running.append((name, process, log))
        totals = {"passed": 0, "failed": 0, "skipped": 0}
        status = 0
        for name, process, log in running:
            code = process.wait()
            log.close()
            output = Path(log.name).read_text(errors="replace")
            print(f"===== {name} layer{'s' if name == 'cpython' else ''} =====")
            print(output, end="" if output.endswith("\n") else "\n", flush=True)
            summary = output.rstrip().splitlines()[-1] if output.strip() else ""
            for number, kind in _COUNT.findall(summary):
                key = "failed" if kind.startswith("error") else kind
                totals[key] += int(number)
            # pytest's 5 ("no tests collected") counts as a failure: a half that ran nothing.
            status = status or code
    print(f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
    return status


if __name__ == "__main__":
    sys.exit(main())
