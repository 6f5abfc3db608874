"""Benchmark: latency of a miss (sources -> download -> R2 -> Images -> analysis -> D1 -> 302)
against the local fake upstream, with hits of the same entities in the same run as baseline.

    .venv/bin/python -m bench.miss_latency [--misses 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import httpx

from bench.workerd_cpu import cpu_seconds, worker_pids, wrangler_pid
from rewind_devkit.fake_upstream import run_fake_upstream
from rewind_devkit.local_keys import add_key, new_key
from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.signals import stop_on_signals

HINTS = {"artist_name": "Daft Punk", "album_name": "Discovery"}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> int:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", type=int, default=40)
    args = parser.parse_args()
    stop_on_signals()
    with run_fake_upstream() as fake:
        # Every miss here is one key's: lift the per-key miss limit (30 a minute by default).
        env = fake.settings_env(MISS_LIMIT_PER_MINUTE="1000000")
        worker = LocalWorker(vars=env, log_level="warn").start()
        try:
            key = add_key(worker.state_dir, new_key("read", name="bench", rate_limit_rpm=1_000_000))
            timings: dict[str, list[float]] = {"miss": [], "hit": []}
            # CPU per request of the Worker's workerd processes and of wrangler's Node (the
            # local Images binding), read from /proc around each kind's requests.
            processes = (*worker_pids(worker), wrangler_pid(worker))
            cpu_ms: dict[str, tuple[float, float]] = {}
            with httpx.Client(base_url=worker.base_url, timeout=60) as client:
                client.get(
                    "/v1/images/listening/albums/warm-up/medium",
                    params=HINTS,
                    headers={"authorization": f"Bearer {key}"},
                )
                for kind in ("miss", "hit"):
                    before = [cpu_seconds(pid) for pid in processes]
                    for i in range(args.misses):
                        start = time.perf_counter()
                        response = client.get(
                            f"/v1/images/listening/albums/bench-{i}/medium",
                            params=HINTS,
                            headers={"authorization": f"Bearer {key}"},
                        )
                        timings[kind].append((time.perf_counter() - start) * 1000)
                        if response.status_code != 302:
                            raise RuntimeError(f"{kind} {i}: {response.status_code}")
                    used = [cpu_seconds(pid) - b for pid, b in zip(processes, before, strict=True)]
                    per_request = [1000 * seconds / args.misses for seconds in used]
                    cpu_ms[kind] = (per_request[0] + per_request[1], per_request[2])
        finally:
            worker.stop()
    print(f"{args.misses} sequential requests each (Apple Music search + 600x600 JPEG download)")
    print("| request | p50 ms | p99 ms | mean ms | workerd CPU ms | wrangler CPU ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind, values in timings.items():
        workerd_ms, wrangler_ms = cpu_ms[kind]
        print(
            f"| {kind} | {statistics.median(values):.1f} | {_percentile(values, 99):.1f} |"
            f" {statistics.fmean(values):.1f} | {workerd_ms:.1f} | {wrangler_ms:.1f} |"
        )
    ratio = statistics.median(timings["miss"]) / statistics.median(timings["hit"])
    print(f"miss / hit (p50): x{ratio:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
