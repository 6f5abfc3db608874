"""Benchmark: CPU time of the analysis step (two PNG decodes + ThumbHash + colours) per image,
inside the Worker runtime (workerd + Pyodide), with CPython in the same run as the baseline.

A small benchmark Worker (`analysis_worker/`) runs the step N times per request. workerd
freezes clocks while code runs, so the time is taken from outside: the median wall time of
requests with N = 1 and N = K, divided by K - 1, is the per-image cost (HTTP and scheduling
cancel out). Each case is a (hash image side, colour image side) pair; the first is what the
pipeline uses.

    .venv/bin/python -m bench.analysis [--reps 15] [--k 21]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

import httpx
from tests.support.worker import ROOT, LocalWorker

HERE = Path(__file__).resolve().parent


def _cases() -> list[tuple[int, int]]:
    """(hash side, colour side): the pipeline's, and colours from the hash image instead."""
    sys.path.insert(0, str(ROOT / "src"))
    from rewind_images.imaging import COLOUR_MAX_SIDE
    from rewind_images.pipeline import ANALYSIS_MAX_SIDE

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
    sys.path.insert(0, str(HERE / "analysis_worker"))
    sys.path.insert(0, str(ROOT / "src"))
    from entry_png import png_for  # type: ignore[import-not-found]

    from rewind_images.pipeline import analyse_png

    hash_png, colour_png = png_for(hash_side), png_for(colour_side)
    runs = 20
    best = min(timeit.repeat(lambda: analyse_png(hash_png, colour_png), number=runs, repeat=5))
    return best / runs * 1000


def main() -> int:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--k", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rw-analysis-") as tmp:
        config = _prepare(Path(tmp) / "worker")
        worker = LocalWorker(config=config, ready_path="/?n=0", log_level="warn", migrate=False)
        worker.start()
        try:
            rows = []
            with httpx.Client(base_url=worker.base_url, timeout=120) as client:
                for hash_side, colour_side in _cases():
                    query = f"hash={hash_side}&colour={colour_side}"
                    _median_ms(client, f"/?n=3&{query}", 3)  # warm-up
                    one = _median_ms(client, f"/?n=1&{query}", args.reps)
                    many = _median_ms(client, f"/?n={args.k}&{query}", args.reps)
                    rows.append((hash_side, colour_side, (many - one) / (args.k - 1)))
        finally:
            worker.stop()
    columns = ("hash image", "colour image", "Worker runtime (ms/image)", "CPython 3.11 (ms/image)")
    print("| " + " | ".join((*columns, "ratio")) + " |")
    print("| --- | --- | --- | --- | --- |")
    for hash_side, colour_side, worker_ms in rows:
        cpython = _cpython_ms(hash_side, colour_side)
        print(
            f"| {hash_side}x{hash_side} | {colour_side}x{colour_side} | {worker_ms:.2f}"
            f" | {cpython:.2f} | x{worker_ms / cpython:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
