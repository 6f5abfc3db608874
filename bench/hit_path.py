"""Benchmark of the hit path against the two anchors, on the same local runtime, in one run.

Starts three workers under workerd (each with its own state dir, seeded with the anchors'
1,000 image rows and bench key): the service, `anchors/py-floor` (a constant 302 from Python:
the ceiling for a Python Worker) and `anchors/js-hit` (the original's hit path, lean JS). Then
alternates `wrk -t1 -c8 -d<seconds>s --latency -s anchors/rot.lua` over them for several
rounds, after a warm-up run each, and prints requests/s, p50 and p99 per worker and round, and
the service's ratios to each anchor (medians over rounds). The machine is noisy: read ratios,
not absolute numbers.

    .venv/bin/python -m bench.hit_path [--rounds 3] [--seconds 10]

`--together` loads every worker at once in each round (`-c4` each) instead of one after
another: the machine's swings then hit all workers alike, and the per-round CPU ratios spread
less (docs/benchmarks.md, run N).

`--baseline REV` adds a fourth worker, "baseline": the service as of a git revision (its tree
exported with `git archive`, this checkout's vendored packages beside it), so a change is
compared with the code before it in the same run, e.g. `--baseline main --workers
service,baseline,js-hit`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.workerd_cpu import cpu_seconds, worker_pids
from rewind_devkit.local_worker import ROOT, LocalWorker
from rewind_devkit.signals import stop_on_signals

HERE = Path(__file__).resolve().parent
ANCHORS = HERE / "anchors"
SEED = ANCHORS / "migrations" / "0001_init.sql"
ROT = ANCHORS / "rot.lua"
BENCH_KEY = "rw_live_benchkey0123456789"
WRK_THREADS = 1
WRK_CONNECTIONS = 8
# Connections per worker when every worker is loaded at once (`--together`).
TOGETHER_CONNECTIONS = 4


@dataclass
class Result:
    """One wrk run; `cpu_ms` is the CPU per request of the workerd that runs the Worker."""

    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float = 0.0


def seed_inserts() -> str:
    """The anchors' INSERT statements (their schema is ours, so the rows fit as they are)."""
    return "\n".join(
        line for line in SEED.read_text().splitlines() if line.startswith("INSERT INTO")
    )


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk_command(url: str, seconds: int, connections: int) -> list[str]:
    return [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(ROT),
        url,
    ]


def _result(url: str, out: str, cpu_s: float) -> Result:
    """A wrk run's numbers from its output, with `cpu_s` of the Worker's process spread over
    its requests."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    p50 = re.match(r"([\d.]+)(\w+)", lat["50"])
    p99 = re.match(r"([\d.]+)(\w+)", lat["99"])
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} error responses\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    cpu_ms = cpu_s * 1000 / max(1, requests)
    return Result(rps, _ms(*p50.groups()), _ms(*p99.groups()), cpu_ms)  # type: ignore[union-attr]


def run_wrk(url: str, seconds: int, worker_pid: int | None = None) -> Result:
    """One wrk run against `url` (with the CPU `worker_pid` spent per request, when given)."""
    cpu_before = cpu_seconds(worker_pid) if worker_pid else 0.0
    out = subprocess.run(
        _wrk_command(url, seconds, WRK_CONNECTIONS), capture_output=True, text=True, check=True
    ).stdout
    cpu_s = cpu_seconds(worker_pid) - cpu_before if worker_pid else 0.0
    return _result(url, out, cpu_s)


def run_wrk_together(urls: dict[str, str], seconds: int, pids: dict[str, int]) -> dict[str, Result]:
    """wrk against every worker at the same time, so each round's machine (its speed, what else
    runs) is the same for all of them."""
    connections = TOGETHER_CONNECTIONS
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    runs = {
        name: subprocess.Popen(
            _wrk_command(url, seconds, connections), stdout=subprocess.PIPE, text=True
        )
        for name, url in urls.items()
    }
    outs = {name: run.communicate()[0] for name, run in runs.items()}
    return {
        name: _result(urls[name], outs[name], cpu_seconds(pids[name]) - before[name])
        for name in urls
    }


def anchor_worker(name: str) -> LocalWorker:
    """A LocalWorker for one of `anchors/` (each answers `/`; js-hit is JavaScript)."""
    return LocalWorker(
        config=ANCHORS / name / "wrangler.toml",
        ready_path="/",
        python=name != "js-hit",
        log_level="warn",
    )


def check_hit(url: str) -> None:
    """Fail early unless the worker answers the bench request with a 302."""
    response = httpx.get(
        f"{url}/v1/images/listening/albums/a1/medium",
        headers={"Authorization": f"Bearer {BENCH_KEY}"},
    )
    if response.status_code != 302:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text}")


def export_revision(revision: str, folder: Path) -> Path:
    """The service as of a git revision, exported into `folder` with this checkout's vendored
    packages beside it; returns its wrangler.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    shutil.copytree(ROOT / "python_modules", folder / "python_modules")
    return folder / "wrangler.toml"


def baseline_worker(revision: str, folder: Path) -> LocalWorker:
    """The service as of a git revision, exported into `folder`."""
    config = export_revision(revision, folder)
    return LocalWorker(config=config, seed_sql=seed_inserts(), log_level="warn")


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--workers", default="service,py-floor,js-hit", help="comma-separated subset to run"
    )
    parser.add_argument("--baseline", help="also run the service as of this git revision")
    parser.add_argument(
        "--together",
        action="store_true",
        help="load every worker at once in each round instead of one after another",
    )
    args = parser.parse_args()
    stop_on_signals()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    workers = {
        "service": LocalWorker(seed_sql=seed_inserts(), log_level="warn"),
        "py-floor": anchor_worker("py-floor"),
        # py-floor with the nine headers of the service's hit (bench/anchors/README.md).
        "py-floor-headers": anchor_worker("py-floor-headers"),
        # py-floor through the service's module-level dispatch (bench/anchors/README.md).
        "py-floor-handlers": anchor_worker("py-floor-handlers"),
        "js-hit": anchor_worker("js-hit"),
    }
    baseline_folder = None
    if args.baseline:
        baseline_folder = Path(tempfile.mkdtemp(prefix="rw-baseline-"))
        workers["baseline"] = baseline_worker(args.baseline, baseline_folder)
    wanted = args.workers.split(",")
    if args.baseline and "baseline" not in wanted:
        wanted.insert(1, "baseline")
    workers = {name: workers[name] for name in wanted}  # run order = the order given
    results: dict[str, list[Result]] = {name: [] for name in workers}
    try:
        for worker in workers.values():
            worker.start()
            check_hit(worker.base_url)
        pids = {name: worker_pids(worker)[0] for name, worker in workers.items()}
        for worker in workers.values():
            run_wrk(worker.base_url, 3)  # warm-up: isolate caches, JIT, Pyodide
        urls = {name: worker.base_url for name, worker in workers.items()}
        for round_no in range(1, args.rounds + 1):
            if args.together:
                round_results = run_wrk_together(urls, args.seconds, pids)
            else:
                round_results = {
                    name: run_wrk(url, args.seconds, pids[name]) for name, url in urls.items()
                }
            for name, result in round_results.items():
                results[name].append(result)
                print(
                    f"round {round_no} {name:9s} {result.rps:8.1f} req/s"
                    f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
                    f"  CPU {result.cpu_ms:5.2f} ms/req",
                    flush=True,
                )
    finally:
        for worker in workers.values():
            worker.stop()
        if baseline_folder is not None:
            shutil.rmtree(baseline_folder, ignore_errors=True)

    def median(name: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in results[name])

    print("\n| worker | req/s (median) | p50 ms | p99 ms | Worker CPU ms/request |")
    print("| --- | --- | --- | --- | --- |")
    for name in workers:
        print(
            f"| {name} | {median(name, 'rps'):.0f} | {median(name, 'p50_ms'):.2f} |"
            f" {median(name, 'p99_ms'):.2f} | {median(name, 'cpu_ms'):.2f} |"
        )
    anchors = ("baseline", "py-floor", "py-floor-headers", "py-floor-handlers", "js-hit")
    for anchor in [name for name in anchors if name in workers]:
        ratios = [s.rps / a.rps for s, a in zip(results["service"], results[anchor], strict=True)]
        p99 = [
            s.p99_ms / a.p99_ms for s, a in zip(results["service"], results[anchor], strict=True)
        ]
        cpu = [
            s.cpu_ms / a.cpu_ms for s, a in zip(results["service"], results[anchor], strict=True)
        ]
        print(
            f"service / {anchor}: throughput x{statistics.median(ratios):.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)}),"
            f" p99 x{statistics.median(p99):.2f},"
            f" CPU per request x{statistics.median(cpu):.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in cpu)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
