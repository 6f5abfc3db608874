"""`make test`'s pytest step: the test layers as six pytest processes at once.

The machine has two cores and the suite keeps both busy when its parts overlap: much of the
workerd layer waits (on a queue's retry delay, a browser, the fake's timeouts) while other parts
compute. So tests/worker runs as three processes, each with Workers of its own: a session Worker
for most modules and for the app tests marked `workerd` (tests/app with `--layer workerd`);
another for the queue, RPC, contract and two-runtime modules (with the second runtime and the
RPC caller booting in the background); and the commands (`make dev` with the admin tour run
against it, `make demo` with the browser), each starting Workers of its own. Beside
them run the CPython layers: tests/app in two processes (the pipeline module, which mostly waits
on the fake's slow answers, and the contract module apart) and tests/unit. A module not named here
runs in the first process of its layer.

Each process's output is printed whole when it ends, in this order, then one closing line for
all; the exit status is non-zero when any failed. (pytest-xdist's grouping does not keep a
Worker's tests in one process under pytest 9, so the split is done here.)

    .venv/bin/python scripts/test_layers.py [pytest args...]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKER = "tests/worker"
# The second process's modules, with a session Worker of their own (its second runtime and the
# RPC caller start in the background: tests/worker/conftest.py).
SECOND_SESSION = [
    f"{WORKER}/test_attachments.py",
    f"{WORKER}/test_rpc_caller.py",
    f"{WORKER}/test_contract.py",
    f"{WORKER}/test_two_runtimes.py",
    # A module with a Worker of its own, here to balance the two workerd sessions' time.
    f"{WORKER}/test_takeover.py",
]
# `make dev` and `make demo` as a developer runs them (no session Worker).
COMMANDS = [
    f"{WORKER}/test_admin_tour.py",
    f"{WORKER}/test_dev_command.py",
    f"{WORKER}/test_demo_command.py",
    f"{WORKER}/test_readme_tour.py",
]
ELSEWHERE = [f"--ignore={path}" for path in SECOND_SESSION + COMMANDS]
APP = "tests/app"
# The pipeline module, which mostly waits (on the fake's slow and timing-out answers), with the
# contract module, which computes: about as long together as the rest of tests/app.
APP_SECOND = [f"{APP}/test_pipeline.py", f"{APP}/test_contract.py"]
PROCESSES = (
    (
        "workerd: the session's Worker: the rest of tests/worker, app tests marked workerd",
        [WORKER, *ELSEWHERE, APP, "--layer", "workerd"],
    ),
    ("workerd: another session: queues, RPC, contract, two runtimes", SECOND_SESSION),
    ("workerd: make dev, the admin tour, make demo and a browser", COMMANDS),
    ("CPython: the app in-process, the rest", [APP, *(f"--ignore={p}" for p in APP_SECOND)]),
    ("CPython: the app in-process: pipeline and contract", APP_SECOND),
    ("CPython: units", ["tests/unit"]),
)
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)")
NO_TESTS_COLLECTED = 5


def main() -> int:
    """Run every process, print their outputs, return the combined status."""
    extra = sys.argv[1:]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rw-tests-") as tmp:
        running = []
        for index, (name, paths) in enumerate(PROCESSES):
            log = (Path(tmp) / f"{index}.log").open("wb")
            command = [sys.executable, "-m", "pytest", *paths, *extra]
            process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            running.append((name, process, log))
        totals = {"passed": 0, "failed": 0, "skipped": 0}
        status = 0
        for name, process, log in running:
            # wait4 also gives the CPU the process and its reaped descendants (Workers) used.
            _, wait_status, usage = os.wait4(process.pid, 0)
            process.returncode = code = os.waitstatus_to_exitcode(wait_status)
            log.close()
            output = Path(log.name).read_text(errors="replace")
            cpu = usage.ru_utime + usage.ru_stime
            print(f"===== {name} ({cpu:.1f} s CPU) =====")
            print(output, end="" if output.endswith("\n") else "\n", flush=True)
            summary = output.rstrip().splitlines()[-1] if output.strip() else ""
            for number, kind in _COUNT.findall(summary):
                key = "failed" if kind.startswith("error") else kind
                totals[key] += int(number)
            # "No tests collected" is a failure unless pytest arguments (a -k) chose the tests.
            if code == NO_TESTS_COLLECTED and extra:
                code = 0
            status = status or code
    elapsed = time.monotonic() - started
    print(
        f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped"
        f" in {elapsed:.1f}s"
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
