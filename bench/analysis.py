"""Benchmark: CPU time of the analysis step (two PNG decodes + ThumbHash + colours) per image,
inside the Worker runtime (workerd + Pyodide), with CPython in the same run as the baseline.

A small benchmark Worker (`analysis_worker/`) runs the step N times per request. workerd
freezes clocks while code runs, so the time is taken from outside: the median wall time of
requests with N = 1 and N = K, divided by K - 1, is the per-image cost (HTTP and scheduling
cancel out). Each case is a (hash image side, colour image side) pair; the first is what the
pipeline uses. `--steps` adds the pipeline case's steps (each PNG's decode, the hash, the
colours), measured the same way.

    .venv/bin/python -m bench.analysis [--reps 15] [--k 21] [--steps]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

import httpx

from rewind_devkit.local_worker import ROOT, LocalWorker
from rewind_devkit.signals import stop_on_signals
from rewind_images.config import ANALYSIS_MAX_SIDE
from rewind_images.images.resolution.analysis import analyse_png
from rewind_images.imaging import COLOUR_MAX_SIDE

HERE = Path(__file__).resolve().parent


def _cases() -> list[tuple[int, int]]:
    """(hash side, colour side): the pipeline's, and colours from the hash image instead."""
    return [(ANALYSIS_MAX_SIDE, COLOUR_MAX_SIDE), (ANALYSIS_MAX_SIDE, ANALYSIS_MAX_SIDE)]


def _prepare(folder: Path) -> Path:
    shutil.copytree(HERE / "analysis_worker", folder, dirs_exist_ok=True)
    shutil.copytree(ROOT / "src" / "rewind_images", folder / "rewind_images")
    shutil.copytree(ROOT / "python_modules", folder / "python_modules")
    return folder / "wrangler.toml"


def _median_ms(client: httpx.Client, url: str, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 204:
            raise RuntimeError(f"{url}: {response.status_code} {response.text}")
    return statistics.median(times)


def _cpython_ms(hash_side: int, colour_side: int) -> float:
    # The benchmark Worker's own module (a file, not a package), loaded by path.
    spec = importlib.util.spec_from_file_location(
        "entry_png", HERE / "analysis_worker" / "entry_png.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError("bench/analysis_worker/entry_png.py is missing")
    entry_png = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry_png)
    hash_png, colour_png = entry_png.png_for(hash_side), entry_png.png_for(colour_side)
    runs = 20
    best = min(timeit.repeat(lambda: analyse_png(hash_png, colour_png), number=runs, repeat=5))
    return best / runs * 1000


def main() -> int:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--k", type=int, default=21)
    parser.add_argument("--steps", action="store_true", help="also time each step")
    args = parser.parse_args()
    stop_on_signals()
    cases = _cases()
    hash_side, colour_side = cases[0]
    steps = [("decode", hash_side), ("hash", hash_side), ("decode", colour_side)]
    steps.append(("colours", colour_side))
    with tempfile.TemporaryDirectory(prefix="rw-analysis-") as tmp:
        config = _prepare(Path(tmp) / "worker")
        worker = LocalWorker(config=config, ready_path="/?n=0", log_level="warn", migrate=False)
        worker.start()
        try:
            rows = []
            step_rows = []
            with httpx.Client(base_url=worker.base_url, timeout=120) as client:

                def per_run(query: str) -> float:
                    _median_ms(client, f"/?n=3&{query}", 3)  # warm-up
                    one = _median_ms(client, f"/?n=1&{query}", args.reps)
                    many = _median_ms(client, f"/?n={args.k}&{query}", args.reps)
                    return (many - one) / (args.k - 1)

                for h, c in cases:
                    rows.append((h, c, per_run(f"hash={h}&colour={c}")))
                for step, side in steps if args.steps else []:
                    step_rows.append((step, side, per_run(f"step={step}&side={side}")))
        finally:
            worker.stop()
    columns = ("hash image", "colour image", "Worker runtime (ms/image)", "CPython 3.11 (ms/image)")
    print("| " + " | ".join((*columns, "ratio")) + " |")
    print("| --- | --- | --- | --- | --- |")
    for h, c, worker_ms in rows:
        cpython = _cpython_ms(h, c)
        print(
            f"| {h}x{h} | {c}x{c} | {worker_ms:.2f} | {cpython:.2f} | x{worker_ms / cpython:.1f} |"
        )
    if step_rows:
        print("\n| step | image | Worker runtime (ms/image) |\n| --- | --- | --- |")
        for step, side, worker_ms in step_rows:
            print(f"| {step} | {side}x{side} | {worker_ms:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
