"""Where the warm hit's CPU goes inside the Worker, step by step.

Loop mode (default): one Worker, `hit_steps_worker/entry.py` beside the service's production
sources (scripts/upload.py) and seeded with the anchors' rows and bench key, runs one step of the
hit path K times per request after warming every entity once. workerd freezes clocks while code
runs, so the time is taken from outside: per step, (time at K - time at 1) / (K - 1), the
median over rounds. A step repeated in a loop runs with warm caches: these are lower bounds.

`--load`: Workers from the same sources answer the hit (as `bench.hit_path`, wrk walking the
1,000 entities) after one more stage each (HIT_STEPS_STOP): `entry` (a constant 302 built by the
edge), `request` (+ the JS request read), `app` (+ `handle`), `full` (+ the service's own answer
converted instead of the constant: the service); beside them `answer` (the request read, then
the service's own nine-header answer of the path, made once per path and kept: what answering
with those headers costs without the app's per-request work), py-floor and py-floor-headers.
Rounds alternate (`--together`: every Worker loaded at once in each round, as
`bench.hit_path --together`); each stage's cost is the difference of CPU per request of the
Worker's workerd (/proc), and every Worker's ratio to py-floor is taken per round.

    .venv/bin/python -m bench.hit_steps [--k 1001] [--rounds 9]
    .venv/bin/python -m bench.hit_steps --load [--together] [--rounds 8] [--seconds 5]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from scripts.upload import stage

from bench.hit_path import anchor_worker, check_hit, run_wrk, run_wrk_together, seed_inserts
from bench.workerd_cpu import worker_pids
from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.signals import stop_on_signals

HERE = Path(__file__).resolve().parent
STEPS = (
    "request",
    "context",
    "app (handle)",
    "authenticate",
    "record lookup",
    "route match",
    "redirect headers",
    "response",
    "SDK Response (py-floor's)",
)
STAGES = ("entry", "request", "app", "full")
ANCHOR_WORKERS = ("py-floor", "py-floor-headers")


def _stage_worker(folder: Path) -> Path:
    entry = stage(folder)
    shutil.copyfile(HERE / "hit_steps_worker" / "entry.py", entry)
    return entry


def loop_mode(folder: Path, k: int, rounds: int) -> None:
    """Each step's µs per run, from one Worker."""
    entry = _stage_worker(folder)
    worker = LocalWorker(script=entry, seed_sql=seed_inserts(), log_level="warn").start()
    try:
        with httpx.Client(base_url=worker.base_url, timeout=300) as client:

            def timed(step: str, n: int) -> float:
                start = time.perf_counter()
                response = client.get("/steps", params={"step": step, "n": n})
                elapsed = time.perf_counter() - start
                if response.status_code != 204:
                    raise RuntimeError(f"{step}: {response.status_code} {response.text}")
                return elapsed

            for step in STEPS:
                timed(step, 5)  # warm-up
            per_run: dict[str, list[float]] = {step: [] for step in STEPS}
            for _ in range(rounds):
                for step in STEPS:
                    one, many = timed(step, 1), timed(step, k)
                    per_run[step].append((many - one) / (k - 1) * 1e6)
    finally:
        worker.stop()
    print("\n| step (warm, in a loop) | µs per run (median) | rounds |")
    print("| --- | --- | --- |")
    for step in STEPS:
        values = per_run[step]
        shown = ", ".join(f"{v:.0f}" for v in values)
        print(f"| {step} | {statistics.median(values):.1f} | {shown} |")


def load_mode(folder: Path, rounds: int, seconds: int, together: bool) -> None:
    """CPU per request of each stage's Worker and of the Python anchors, under wrk."""
    entry = _stage_worker(folder)
    workers = {
        name: LocalWorker(
            script=entry,
            seed_sql=seed_inserts(),
            log_level="warn",
            vars={"HIT_STEPS_STOP": "" if name == "full" else name},
        )
        for name in (*STAGES, "answer")
    }
    for name in ANCHOR_WORKERS:
        workers[name] = anchor_worker(name)
    cpu_us: dict[str, list[float]] = {name: [] for name in workers}
    try:
        for worker in workers.values():
            worker.start()
        check_hit(workers["full"].base_url)
        urls = {name: worker.base_url for name, worker in workers.items()}
        pids = {name: worker_pids(worker)[0] for name, worker in workers.items()}
        for url in urls.values():
            run_wrk(url, 3)  # warm-up: every path answered (and `answer`'s kept) at least once
        for round_no in range(1, rounds + 1):
            if together:
                results = run_wrk_together(urls, seconds, pids)
            else:
                results = {name: run_wrk(url, seconds, pids[name]) for name, url in urls.items()}
            for name, result in results.items():
                cpu_us[name].append(result.cpu_ms * 1000)
            print(f"round {round_no}: " + ", ".join(f"{n} {v[-1]:.0f}" for n, v in cpu_us.items()))
    finally:
        for worker in workers.values():
            worker.stop()
    print("\n| Worker answers after | CPU µs/request (median) | / py-floor (median; rounds) |")
    print("| --- | --- | --- |")
    for name, values in cpu_us.items():
        ratios = [v / f for v, f in zip(values, cpu_us["py-floor"], strict=True)]
        shown = ", ".join(f"{r:.2f}" for r in ratios)
        median_cpu, median_ratio = statistics.median(values), statistics.median(ratios)
        print(f"| {name} | {median_cpu:.0f} | {median_ratio:.3f} ({shown}) |")
    print("\nper stage, median of the rounds' differences (µs/request):")
    for before, after in (*itertools.pairwise(STAGES), ("request", "answer")):
        diffs = [a - b for a, b in zip(cpu_us[after], cpu_us[before], strict=True)]
        print(f"  {before} -> {after}: {statistics.median(diffs):.0f}")


def main() -> int:
    """Run one mode and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load", action="store_true", help="stages under wrk instead of loops")
    parser.add_argument(
        "--together", action="store_true", help="with --load: every Worker loaded at once"
    )
    parser.add_argument("--k", type=int, default=1001)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    stop_on_signals()
    if args.load and shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="rw-steps-"))
    try:
        if args.load:
            load_mode(folder, args.rounds, args.seconds, args.together)
        else:
            loop_mode(folder, args.k, args.rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
