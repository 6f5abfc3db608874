"""Benchmark of a cold start: the service against the constant-302 Python Worker, in one run.

Each Python Worker starts from its own dedicated Python memory snapshot, as production does
(python_dedicated_snapshot): the bench first starts each once with saving on
(`scripts/workerd`, REWIND_SAVE_PYTHON_SNAPSHOT) and then starts it from that snapshot
(REWIND_LOAD_PYTHON_SNAPSHOT) for every round; rounds alternate the workers. Workers:

- **service**: this Worker as a deploy uploads it (scripts/upload.py stages its production
  sources; wrangler.toml's bindings and excludes), seeded with the anchors' rows and bench key,
  its first request the hit `GET /v1/images/listening/albums/a1/medium` (a 302);
- **py-floor**: `anchors/py-floor`, a Python Worker answering a constant 302 to the same request;
- **js-hit** (context): `anchors/js-hit`, the original's hit path in JavaScript: what the
  local runtime costs with no Python at all.

What is measured, per start. workerd loads the Worker (Pyodide restored from the snapshot, the
entry module run) before wrangler reports it ready, so a request sent while it starts waits
for the rest of the start from whenever it got through (wrangler's logged duration of such a
request depends on when it was sent). So the start and the first request are read apart, on
the workerd process that runs the Worker (/proc, `bench.workerd_cpu`):

- **start CPU**: its CPU time from exec until wrangler says "Ready" (the runtime's own
  services, Pyodide and the snapshot, the Worker's modules and entry);
- **first request**: its CPU time over the first request, sent once ready, and wrangler's
  logged duration of it;
- **cold CPU** = start + first request: what a cold isolate costs before its first answer.

CPU, not wall time, because the machine is shared: another process's load stretches wall time
but hardly the CPU a process spends. The service / py-floor ratio is taken per round (the two
started next to each other), then the median. js-hit's cold CPU is the part of any Worker's
start that is the local runtime's, not Python's; the bench also prints the ratio with it
subtracted. `--no-snapshot-rounds` adds rounds where every Worker starts without a snapshot;
`--baseline REV` adds the service as of a git revision (its tree as it was, uploaded whole).

`--ladder` starts, instead, the steps between py-floor and the service (each from its own
snapshot): py-floor with the service's bindings, then with the service's vendored packages
uploaded, then its source tree uploaded (both imported by nothing), then importing pydantic,
then importing every module the entry imports; then the service itself, also with two other
first requests: one that only looks its key up (one D1 read) and the health route (none). Each
step's upload is what a deploy uploads (scripts/upload.py, wrangler.toml's excludes).

    .venv/bin/python -m bench.cold_start [--rounds 7] [--no-snapshot-rounds 3] [--baseline REV]
    .venv/bin/python -m bench.cold_start --ladder [--rounds 7]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from scripts.upload import stage

from bench.hit_path import ANCHORS, BENCH_KEY, export_revision, seed_inserts
from bench.workerd_cpu import cpu_seconds, started_at, worker_pids
from rewind_devkit.local_worker import ROOT, LocalWorker
from rewind_devkit.signals import stop_on_signals

HIT_PATH = "/v1/images/listening/albums/a1/medium"
# wrangler's request line: `GET /path 302 Found (123ms)`.
LOGGED_REQUEST = re.compile(r"\] GET \S+ (\d{3}) [^(\n]*\((\d+)ms\)")
LOG_WAIT_S = 10.0
FLOOR_ENTRY = ANCHORS / "py-floor" / "src" / "entry.py"
# The modules src/entry.py imports at its top (the ladder's "every module" step).
ENTRY_IMPORTS = (
    "import rewind_images.app\n"
    "import rewind_images.runtime.edge\n"
    "import rewind_images.runtime.service_calls\n"
)


@dataclass
class Start:
    """One cold start: CPU (s) of the Worker's workerd to ready and over the first request."""

    start_cpu: float
    first_cpu: float
    first_logged_ms: int
    start_wall: float

    @property
    def cold_cpu(self) -> float:
        """Start and first request together."""
        return self.start_cpu + self.first_cpu


@dataclass
class Subject:
    """A Worker the bench starts: how to make it, and its Python snapshot (when saved)."""

    name: str
    make: Callable[[dict[str, str]], LocalWorker]
    python: bool = True
    # The first request and the status it must get.
    path: str = HIT_PATH
    status: int = 302
    snapshot: Path | None = None
    # Another subject whose snapshot this one starts from (the same Worker, another request).
    snapshot_of: Subject | None = None
    starts: dict[str, list[Start]] = field(default_factory=dict)


def _logged_first_request(worker: LocalWorker) -> tuple[int, int]:
    """(status, ms) of the first request line wrangler logged."""
    deadline = time.monotonic() + LOG_WAIT_S
    while time.monotonic() < deadline:
        found = LOGGED_REQUEST.search(worker.log())
        if found:
            return int(found.group(1)), int(found.group(2))
        time.sleep(0.02)  # wrangler writes the line just after the answer
    raise RuntimeError(f"no request line in the log:\n{worker.log()}")


def cold_start(subject: Subject, env: dict[str, str]) -> Start:
    """Start the Worker, send its first request, stop it."""
    worker = subject.make(env).start()
    ready_at = time.clock_gettime(time.CLOCK_BOOTTIME)
    try:
        pid = worker_pids(worker)[0]
        ready_cpu = cpu_seconds(pid)
        start_wall = ready_at - started_at(pid)
        response = httpx.get(
            worker.base_url + subject.path,
            headers={"Authorization": f"Bearer {BENCH_KEY}"},
            timeout=60,
        )
        answered_cpu = cpu_seconds(pid)
        status, logged_ms = _logged_first_request(worker)
        if response.status_code != subject.status or status != subject.status:
            raise RuntimeError(f"{subject.name} answered {response.status_code}: {response.text}")
        return Start(ready_cpu, answered_cpu - ready_cpu, logged_ms, start_wall)
    finally:
        worker.stop()


def save_snapshot(subject: Subject, folder: Path) -> None:
    """Start the Worker once with saving on; keep its snapshot in `folder`."""
    folder.mkdir(parents=True)
    worker = subject.make({"REWIND_SAVE_PYTHON_SNAPSHOT": str(folder)}).start()
    try:
        httpx.get(worker.base_url + HIT_PATH, timeout=60)
    finally:
        worker.stop()
    if not (folder / "snapshot.bin").is_file():
        raise RuntimeError(f"{subject.name}: workerd saved no snapshot\n{worker.log()}")
    subject.snapshot = folder


def _worker(
    registry: Path,
    *,
    config: Path | None = None,
    script: Path | None = None,
    seed_sql: str | None = None,
    migrate: bool = True,
    python: bool = True,
) -> Callable[[dict[str, str]], LocalWorker]:
    def make(env: dict[str, str]) -> LocalWorker:
        return LocalWorker(
            config=config,
            script=script,
            seed_sql=seed_sql,
            migrate=migrate,
            python=python,
            ready_path=None,
            log_level="info",
            registry=registry,
            env=env,
        )

    return make


def floor(registry: Path) -> Subject:
    """anchors/py-floor, as it is."""
    config = ANCHORS / "py-floor" / "wrangler.toml"
    return Subject("py-floor", _worker(registry, config=config, migrate=False))


def service(registry: Path, folder: Path) -> Subject:
    """The service as a deploy uploads it (scripts/upload.py stages its production sources)."""
    entry = stage(folder / "service")
    return Subject("service", _worker(registry, script=entry, seed_sql=seed_inserts()))


def anchors_and_service(registry: Path, folder: Path, baseline: str | None) -> list[Subject]:
    """The service, py-floor, js-hit (for context), and the service as of `baseline`."""
    subjects = [service(registry, folder), floor(registry)]
    js = _worker(registry, config=ANCHORS / "js-hit" / "wrangler.toml", python=False)
    subjects.append(Subject("js-hit", js, python=False))
    if baseline is not None:
        config = export_revision(baseline, Path(tempfile.mkdtemp(dir=folder)))
        subjects.insert(
            1, Subject("baseline", _worker(registry, config=config, seed_sql=seed_inserts()))
        )
    return subjects


def _service_config(main_dir: Path) -> str:
    """The service's wrangler.toml (its bindings and upload settings) for a Worker in
    `main_dir`."""
    text = (ROOT / "wrangler.toml").read_text()
    text = text.replace('name = "rewind-images"', f'name = "ladder-{main_dir.name}"')
    # The steps run py-floor's entry (an entry class): without the service's module-handler flag.
    text = text.replace(', "disable_python_no_global_handlers"', "")
    return text.replace(
        'migrations_dir = "migrations"', f'migrations_dir = "{ROOT / "migrations"}"'
    )


def ladder(registry: Path, folder: Path) -> list[Subject]:
    """py-floor, then one thing of the service's added at a time, then the service."""
    steps: list[tuple[str, bool, bool, str]] = [
        # (name, vendored packages uploaded, source tree uploaded, imports before the floor's)
        ("floor+bindings", False, False, ""),
        ("+vendored", True, False, ""),
        ("+source", True, True, ""),
        ("+pydantic", True, True, "import pydantic\n"),
        ("+all modules", True, True, "import pydantic\n" + ENTRY_IMPORTS),
    ]
    subjects = [floor(registry)]
    for number, (name, vendored, source, imports) in enumerate(steps):
        step = folder / f"step{number}"
        (step / "src").mkdir(parents=True)
        (step / "wrangler.toml").write_text(_service_config(step))
        if vendored:
            shutil.copytree(ROOT / "python_modules", step / "python_modules")
        if source:
            stage(step)  # the production sources, as a deploy uploads them
        (step / "src" / "entry.py").write_text(imports + FLOOR_ENTRY.read_text())
        make = _worker(registry, config=step / "wrangler.toml", migrate=False)
        subjects.append(Subject(name, make))
    full = service(registry, folder)
    # The same Worker and snapshot, other first requests: one D1 read (an admin route with the
    # read key: 403 after the key lookup), none (health).
    auth_only = Subject("service, auth only", full.make, path="/v1/admin/keys", status=403)
    health = Subject("service, health", full.make, path="/v1/health", status=200)
    for variant in (auth_only, health):
        variant.snapshot_of = full
    subjects += [full, auth_only, health]
    return subjects


def run_rounds(subjects: list[Subject], mode: str, rounds: int) -> None:
    """`rounds` starts of every subject, alternating; mode "snapshot" or "none"."""
    for round_no in range(1, rounds + 1):
        for subject in subjects:
            snapshot = (subject.snapshot_of or subject).snapshot
            if mode == "snapshot" and snapshot is not None:
                env = {"REWIND_LOAD_PYTHON_SNAPSHOT": str(snapshot)}
            else:
                env = {"REWIND_PYTHON_SNAPSHOT": "off"}  # the own Worker's setup snapshot too
            start = cold_start(subject, env)
            subject.starts.setdefault(mode, []).append(start)
            print(
                f"{mode} round {round_no} {subject.name:15s} start CPU {start.start_cpu:5.2f} s"
                f" (wall {start.start_wall:5.2f} s)"
                f"  first request CPU {start.first_cpu * 1000:4.0f} ms,"
                f" logged {start.first_logged_ms:4d} ms  cold CPU {start.cold_cpu:5.2f} s",
                flush=True,
            )


def _median(starts: list[Start], read: Callable[[Start], float]) -> float:
    return statistics.median(read(start) for start in starts)


def report(subjects: list[Subject], mode: str, reference: str) -> None:
    """The table of one mode, and each subject's ratio to `reference` (per round, median)."""
    title = "from its own snapshot" if mode == "snapshot" else "without a snapshot"
    print(f"\n{title}:\n")
    print(
        "| worker | start CPU s | start wall s | first request CPU ms"
        " | first request logged ms | cold CPU s |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for s in subjects:
        starts = s.starts[mode]
        print(
            f"| {s.name} | {_median(starts, lambda x: x.start_cpu):.2f}"
            f" | {_median(starts, lambda x: x.start_wall):.2f}"
            f" | {_median(starts, lambda x: x.first_cpu) * 1000:.0f}"
            f" | {_median(starts, lambda x: x.first_logged_ms):.0f}"
            f" | {_median(starts, lambda x: x.cold_cpu):.2f} |"
        )
    by_name = {s.name: s.starts[mode] for s in subjects}
    base = by_name[reference]
    js = by_name.get("js-hit")
    for s in subjects:
        if s.name in (reference, "js-hit"):
            continue
        ratios = [a.cold_cpu / b.cold_cpu for a, b in zip(by_name[s.name], base, strict=True)]
        line = (
            f"{s.name} / {reference}: cold CPU x{statistics.median(ratios):.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
        if js is not None:
            python_part = [
                (a.cold_cpu - j.cold_cpu) / (b.cold_cpu - j.cold_cpu)
                for a, b, j in zip(by_name[s.name], base, js, strict=True)
            ]
            line += f"; less js-hit's x{statistics.median(python_part):.2f}"
        print(line)


def compare(subjects: list[Subject], mode: str, name: str, reference: str) -> None:
    """`name`'s cold CPU over `reference`'s, per round, then the median."""
    by_name = {s.name: s.starts[mode] for s in subjects}
    ratios = [
        a.cold_cpu / b.cold_cpu for a, b in zip(by_name[name], by_name[reference], strict=True)
    ]
    print(
        f"{name} / {reference}: cold CPU x{statistics.median(ratios):.2f}"
        f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
    )


def main() -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-snapshot-rounds", type=int, default=3)
    parser.add_argument("--ladder", action="store_true", help="the steps from py-floor up")
    parser.add_argument("--baseline", help="also start the service as of this git revision")
    args = parser.parse_args()
    stop_on_signals()
    folder = Path(tempfile.mkdtemp(prefix="rw-cold-"))
    try:
        registry = folder / "registry"
        if args.ladder:
            subjects = ladder(registry, folder / "ladder")
        else:
            subjects = anchors_and_service(registry, folder, args.baseline)
        for subject in subjects:
            if subject.python and subject.snapshot_of is None:
                save_snapshot(subject, folder / "snapshots" / subject.name.replace(" ", "-"))
        run_rounds(subjects, "snapshot", args.rounds)
        if args.no_snapshot_rounds and not args.ladder:
            run_rounds(subjects, "none", args.no_snapshot_rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    modes = ["snapshot"] + (["none"] if args.no_snapshot_rounds and not args.ladder else [])
    for mode in modes:
        report(subjects, mode, "py-floor")
        if args.baseline:
            compare(subjects, mode, "service", "baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
