"""Where a warm hit's CPU goes: the steps between py-floor and the service, loaded together.

Each step is the service's tree (`git archive` of a revision, HEAD by default) with its entry
replaced by a smaller `fetch`, so each one adds one part of what the service does per hit:

- **py-floor**: `anchors/py-floor`, the constant 302 (2 headers) from the SDK's `Response`;
- **py-floor-headers**: `anchors/py-floor-headers`, the same with the hit's nine headers;
- **edge**: the service's edge only: the request read out of JS (`edge.to_request`), the
  context (`edge.build_context`), and py-floor's constant 302 answered through the service's
  own response path (`edge.to_js_response`);
- **answer**: the edge, plus the service's own 9-header answer of that path, kept in a dict
  after the first request (the app runs once per path): what any Worker that answers with these
  headers costs, with no per-request work of the app at all;
- **service**: the entry as it is (`handle`: routing, the key and its rate limit, the record,
  the headers, CORS).

All of them run at once in each round (`hit_path.run_wrk_together`), so the machine's swings
hit them alike; ratios to py-floor are per round, then the median.

    .venv/bin/python -m bench.hit_ladder [--rounds 10] [--seconds 8] [--revision HEAD]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.hit_path import (
    ANCHORS,
    Result,
    check_hit,
    export_revision,
    run_wrk_together,
    seed_inserts,
)
from bench.workerd_cpu import worker_pids
from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.signals import stop_on_signals

_ENTRY_HEAD = '''"""A step of bench/hit_ladder.py (not the service's entry)."""

from workers import WorkerEntrypoint

from rewind_images.app import handle
from rewind_images.http import Response
from rewind_images.runtime.edge import build_context, to_js_response, to_request

CONSTANT = Response(
    status=302,
    headers={
        "location": "https://cdn.rewind.rest/cdn-cgi/image/width=300,height=300,fit=cover,format=auto,quality=85/listening/albums/a1/original.jpg?v=1",
        "x-thumbhash": "8icGFwT3VpdohHl4hVqWaHZ3GV8U+CoB",
    },
)
ANSWERS: dict[str, dict[str, str]] = {}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        js_request = request.js_object
        app_request = to_request(js_request)
        ctx = build_context(self.env, self.ctx)
'''
_FETCH_TAILS = {
    "edge": "        return to_js_response(CONSTANT)\n",
    "answer": """        headers = ANSWERS.get(app_request.path)
        if headers is None:
            response = await handle(app_request, ctx)
            ANSWERS[app_request.path] = response.headers
            return to_js_response(response)
        return to_js_response(Response(status=302, headers=dict(headers)))
""",
}
STEPS = ("py-floor", "py-floor-headers", "edge", "answer", "service")


def step_worker(step: str, revision: str, folder: Path) -> LocalWorker:
    """A LocalWorker for one step of the ladder."""
    if step.startswith("py-floor"):
        return LocalWorker(
            config=ANCHORS / step / "wrangler.toml", ready_path="/", log_level="warn"
        )
    config = export_revision(revision, folder / step)
    if step != "service":
        (config.parent / "src" / "entry.py").write_text(_ENTRY_HEAD + _FETCH_TAILS[step])
    return LocalWorker(config=config, seed_sql=seed_inserts(), log_level="warn")


def main() -> int:
    """Run the ladder and print each step's CPU per request and its ratio to py-floor."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--revision", default="HEAD")
    args = parser.parse_args()
    stop_on_signals()
    folder = Path(tempfile.mkdtemp(prefix="rw-ladder-"))
    workers = {step: step_worker(step, args.revision, folder) for step in STEPS}
    results: dict[str, list[Result]] = {step: [] for step in STEPS}
    try:
        for worker in workers.values():
            worker.start()
            check_hit(worker.base_url)
        urls = {step: worker.base_url for step, worker in workers.items()}
        pids = {step: worker_pids(worker)[0] for step, worker in workers.items()}
        run_wrk_together(urls, 4, pids)  # warm-up: every path answered once
        for round_no in range(1, args.rounds + 1):
            for step, result in run_wrk_together(urls, args.seconds, pids).items():
                results[step].append(result)
                print(f"round {round_no} {step:8s} CPU {result.cpu_ms:5.2f} ms/req", flush=True)
    finally:
        for worker in workers.values():
            worker.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print("\n| step | Worker CPU ms/request (median) | / py-floor (median; rounds) |")
    print("| --- | --- | --- |")
    floor = results["py-floor"]
    for step in STEPS:
        ratios = [r.cpu_ms / f.cpu_ms for r, f in zip(results[step], floor, strict=True)]
        print(
            f"| {step} | {statistics.median(r.cpu_ms for r in results[step]):.2f} |"
            f" {statistics.median(ratios):.3f} ({', '.join(f'{x:.2f}' for x in ratios)}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
