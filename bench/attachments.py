"""Benchmark: attachments in batches of 100 cached entities against 100 single GETs of the same
entities, by throughput and by the CPU time of the workerd process that runs the Worker.

One service Worker starts under workerd, seeded with the anchors' 1,000 image rows and bench key
(`bench/anchors/`). Two wrk workloads alternate over the same 100 entities (a0..a99), after a
warm-up of each (isolate caches, placeholders):

    get      GET /v1/images/listening/albums/aN/medium, N walking 0..99 (the 302 hit path)
    batch    POST /v1/images/attachments with those 100 items (every one `ready`)

Around each run the CPU time (utime + stime, /proc/<pid>/stat) of the workerd process that runs
the Worker is read, so the cost per entity is the CPU that process spent divided by the entities
answered, not only throughput. (`wrangler dev` runs two workerd processes: a proxy on the public
port and the one that runs the Worker, which is measured; the proxy's CPU is printed too.)
The ratio batch / GET of CPU per entity is taken per round (the rounds alternate, so both see
the same machine), then the median. Target: at most 1/25.

    .venv/bin/python -m bench.attachments [--rounds 5] [--seconds 5] [--baseline REV]

`--baseline REV` also runs the service as of a git revision (as `bench.hit_path` does), both
workloads alternating with the service's in every round, and prints the service / baseline
ratios of worker CPU per entity.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.hit_path import BENCH_KEY, baseline_worker, seed_inserts
from bench.workerd_cpu import cpu_seconds, worker_pids
from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.signals import stop_on_signals

ENTITIES = 100
WRK_THREADS = 1
WRK_CONNECTIONS = 8
TARGET_RATIO = 1 / 25

GET_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local path = "/v1/images/listening/albums/a" .. (counter % {n}) .. "/medium"
  return wrk.format("GET", path, {{["Authorization"] = "Bearer {key}"}})
end
"""
BATCH_SCRIPT = """
wrk.method = "POST"
wrk.path = "/v1/images/attachments"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
"""


@dataclass
class Run:
    """One wrk run: requests answered, seconds, and CPU seconds of the two workerd processes."""

    requests: int
    seconds: float
    worker_cpu_s: float
    proxy_cpu_s: float


def run_wrk(url: str, script: Path, seconds: int, pids: tuple[int, int]) -> Run:
    """One wrk run, with the CPU the two workerd processes spent during it."""
    before = [cpu_seconds(pid) for pid in pids]
    out = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = [cpu_seconds(pid) for pid in pids]
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"error responses:\n{out}")
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    assert done is not None, out
    unit = {"ms": 0.001, "s": 1.0, "m": 60.0}[done.group(3)]
    return Run(
        int(done.group(1)),
        float(done.group(2)) * unit,
        after[0] - before[0],
        after[1] - before[1],
    )


def check(base_url: str, items: list[dict[str, str]]) -> None:
    """Fail early unless both workloads answer as measured: a 302, and 100 `ready`s."""
    headers = {"Authorization": f"Bearer {BENCH_KEY}"}
    hit = httpx.get(f"{base_url}/v1/images/listening/albums/a0/medium", headers=headers)
    answers = httpx.post(
        f"{base_url}/v1/images/attachments", json={"items": items}, headers=headers
    ).json()["data"]
    statuses = {answer["status"] for answer in answers}
    if hit.status_code != 302 or statuses != {"ready"} or len(answers) != len(items):
        raise RuntimeError(f"unexpected answers: {hit.status_code}, {statuses}")


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--baseline", help="also run the service as of this git revision")
    args = parser.parse_args()
    stop_on_signals()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    items = [
        {"domain": "listening", "entity_type": "albums", "entity_id": f"a{i}"}
        for i in range(ENTITIES)
    ]
    folder = Path(tempfile.mkdtemp(prefix="rw-bench-"))
    scripts = {
        "get": folder / "get.lua",
        "batch": folder / "batch.lua",
    }
    scripts["get"].write_text(GET_SCRIPT.format(n=ENTITIES, key=BENCH_KEY))
    body = json.dumps({"items": items}, separators=(",", ":"))
    scripts["batch"].write_text(BATCH_SCRIPT.format(body=body, key=BENCH_KEY))
    per_request = {"get": 1, "batch": ENTITIES}
    runs: dict[str, list[Run]] = {"get": [], "batch": []}
    baseline_runs: dict[str, list[Run]] = {"get": [], "batch": []}
    worker = LocalWorker(seed_sql=seed_inserts(), log_level="warn")
    baseline = baseline_worker(args.baseline, folder / "baseline") if args.baseline else None
    try:
        worker.start()
        pids = worker_pids(worker)
        check(worker.base_url, items)
        for script in scripts.values():
            run_wrk(worker.base_url, script, 3, pids)  # warm-up
        if baseline is not None:
            baseline.start()
            baseline_pids = worker_pids(baseline)
            check(baseline.base_url, items)
            for script in scripts.values():
                run_wrk(baseline.base_url, script, 3, baseline_pids)
        for round_no in range(1, args.rounds + 1):
            for kind, script in scripts.items():
                if baseline is not None:
                    old = run_wrk(baseline.base_url, script, args.seconds, baseline_pids)
                    baseline_runs[kind].append(old)
                    entities = old.requests * per_request[kind]
                    print(
                        f"round {round_no} {kind:5s} baseline"
                        f"  worker CPU {old.worker_cpu_s * 1e6 / entities:8.1f} us/entity",
                        flush=True,
                    )
                run = run_wrk(worker.base_url, script, args.seconds, pids)
                runs[kind].append(run)
                entities = run.requests * per_request[kind]
                print(
                    f"round {round_no} {kind:5s} {run.requests / run.seconds:8.1f} req/s"
                    f" {entities / run.seconds:9.1f} entities/s"
                    f"  worker CPU {run.worker_cpu_s * 1e6 / entities:8.1f} us/entity"
                    f"  proxy CPU {run.proxy_cpu_s * 1e6 / entities:7.1f} us/entity",
                    flush=True,
                )
    finally:
        worker.stop()
        if baseline is not None:
            baseline.stop()
        shutil.rmtree(folder, ignore_errors=True)

    def per_entity(run: Run, kind: str) -> float:
        return run.worker_cpu_s / (run.requests * per_request[kind])

    def median(kind: str, value: str) -> float:
        values = {
            "rps": [r.requests / r.seconds for r in runs[kind]],
            "entities": [r.requests * per_request[kind] / r.seconds for r in runs[kind]],
            "cpu_us": [per_entity(r, kind) * 1e6 for r in runs[kind]],
            "proxy_us": [
                r.proxy_cpu_s * 1e6 / (r.requests * per_request[kind]) for r in runs[kind]
            ],
            "request_ms": [r.worker_cpu_s * 1e3 / r.requests for r in runs[kind]],
        }[value]
        return statistics.median(values)

    print(
        "\n| workload | req/s | entities/s | worker CPU µs/entity | worker CPU ms/request |"
        " proxy CPU µs/entity |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in runs:
        print(
            f"| {kind} | {median(kind, 'rps'):.0f} | {median(kind, 'entities'):.0f} |"
            f" {median(kind, 'cpu_us'):.1f} | {median(kind, 'request_ms'):.2f} |"
            f" {median(kind, 'proxy_us'):.1f} |"
        )
    ratios = [
        per_entity(b, "batch") / per_entity(g, "get")
        for g, b in zip(runs["get"], runs["batch"], strict=True)
    ]
    throughput = [
        (b.requests * ENTITIES / b.seconds) / (g.requests / g.seconds)
        for g, b in zip(runs["get"], runs["batch"], strict=True)
    ]
    ratio = statistics.median(ratios)
    print(
        f"batch / get, worker CPU per entity: x{ratio:.4f} = 1/{1 / ratio:.0f}"
        f" (rounds: {', '.join(f'1/{1 / r:.0f}' for r in ratios)});"
        f" target at most 1/{1 / TARGET_RATIO:.0f}: {'met' if ratio <= TARGET_RATIO else 'NOT met'}"
    )
    print(f"batch / get, entities per second: x{statistics.median(throughput):.1f}")
    for kind in baseline_runs if baseline is not None else ():
        against = [
            per_entity(new, kind) / per_entity(old, kind)
            for new, old in zip(runs[kind], baseline_runs[kind], strict=True)
        ]
        print(
            f"service / baseline, {kind}, worker CPU per entity: x{statistics.median(against):.2f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in against)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
