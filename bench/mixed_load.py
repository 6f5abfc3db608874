"""Mixed load against the Worker under workerd: hits, misses, fault entities, overrides, reverts,
deletes and alternatives on a small set of overlapping entities, from several concurrent
clients, for a fixed time (loopback only: the Worker, the fake upstream and the clients).

At the end it reports answers by operation and status, every 5xx by cause (an injected fault,
or anything else: that would be a bug), and the store's consistency: image rows without their
R2 object, objects without a row, claims left behind.

    .venv/bin/python -m bench.mixed_load [--minutes 5] [--clients 6] [--runtimes 1] [--seed 1]
                                         [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from rewind_devkit.fake_upstream import run_fake_upstream
from rewind_devkit.local_keys import add_key, new_key
from rewind_devkit.local_worker import LocalWorker
from rewind_devkit.signals import stop_on_signals

# Settings as the HTTP tests use them: the fake's 3 s "timeout" faults time out at 1.5 s.
FETCH_TIMEOUT_MS = "1500"
REQUEST_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Entity:
    """One entity of the pool: its path, the hints a GET brings, whether its sources fail."""

    kind: str
    entity_id: str
    hints: dict[str, str]
    fault: str | None = None

    @property
    def path(self) -> str:
        return f"{self.kind}/{self.entity_id}"


def _pool() -> list[Entity]:
    albums = "listening/albums"
    good = [
        ("Daft Punk", "Discovery"),
        ("Air", "Moon Safari"),
        ("Fleetwood Mac", "Rumours"),
        ("Beyonce", "Lemonade"),
        ("API Fault", "apple-fault-http-500"),  # Apple's API fails, Deezer answers
        ("Fault Fallback", "Broken Apple Artwork"),  # Apple's image fails, Deezer's works
    ]
    pool = [
        Entity(albums, f"good-{i}", {"artist_name": a, "album_name": b})
        for i, (a, b) in enumerate(good)
    ]
    pool += [
        Entity(albums, "none-0", {"artist_name": "Nobody", "album_name": "Nothing"}),
        Entity(albums, "nohints-0", {}),  # no source can be asked: 404, nothing written
        Entity("watching/movies", "m-603", {"tmdb_id": "603"}),
        Entity("watching/movies", "m-27205", {"tmdb_id": "27205"}),
        Entity("listening/artists", "air", {"artist_name": "Air"}),
    ]
    for fault in ("timeout", "http-500", "corrupt", "redirect-private", "wrong-type"):
        hints = {"artist_name": "Fault Injection", "album_name": fault}
        pool.append(Entity(albums, f"fault-{fault}", hints, fault=fault))
    return pool


# Operation -> weight.
OPERATIONS = {
    "get": 60,
    "get-other-hints": 6,
    "override-url": 7,
    "override-upload": 4,
    "revert": 8,
    "delete": 8,
    "alternatives": 2,
}
OTHER_HINTS = {"artist_name": "Daft Punk", "album_name": "Discovery"}


@dataclass(frozen=True)
class Answer:
    """One answer, as the report counts it."""

    operation: str
    entity: Entity
    status: int
    error: str | None
    ms: float


class Load:
    """The clients' shared setup and the answers they collect."""

    def __init__(
        self, bases: list[str], reader: str, admin: str, upload: bytes, override_url: str
    ) -> None:
        self.bases = bases
        self.reader = {"authorization": f"Bearer {reader}"}
        self.admin = {"authorization": f"Bearer {admin}"}
        self.upload = upload
        self.override_url = override_url
        self.pool = _pool()
        self.answers: list[Answer] = []
        self.lock = threading.Lock()

    def request(self, client: httpx.Client, rng: random.Random, operation: str) -> Answer:
        entity = rng.choice(self.pool)
        base = rng.choice(self.bases)
        admin = f"{base}/v1/admin/images/{entity.path}"
        started = time.perf_counter()
        if operation == "get":
            url = f"{base}/v1/images/{entity.path}/medium"
            response = client.get(url, params=entity.hints, headers=self.reader)
        elif operation == "get-other-hints":
            url = f"{base}/v1/images/{entity.path}/medium"
            response = client.get(url, params=OTHER_HINTS, headers=self.reader)
        elif operation == "override-url":
            body = {"source_url": self.override_url}
            response = client.put(admin, json=body, headers=self.admin)
        elif operation == "override-upload":
            files = {"image": ("cover.gif", self.upload, "image/gif")}
            response = client.put(admin, files=files, headers=self.admin)
        elif operation == "revert":
            response = client.delete(f"{admin}/override", headers=self.admin)
        elif operation == "delete":
            response = client.delete(admin, headers=self.admin)
        else:
            response = client.get(f"{admin}/alternatives", params=entity.hints, headers=self.admin)
        ms = (time.perf_counter() - started) * 1000
        error = None
        if response.status_code >= 400:
            try:
                error = str(response.json().get("error"))
            except ValueError:
                error = response.text[:200]
        return Answer(operation, entity, response.status_code, error, ms)

    def client_loop(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        names, weights = list(OPERATIONS), list(OPERATIONS.values())
        with httpx.Client(timeout=REQUEST_TIMEOUT_S, follow_redirects=False) as client:
            while time.monotonic() < until:
                operation = rng.choices(names, weights)[0]
                try:
                    answer = self.request(client, rng, operation)
                except httpx.HTTPError as exc:
                    entity = Entity("?", "?", {})
                    answer = Answer(operation, entity, 0, f"{type(exc).__name__}: {exc}", 0.0)
                with self.lock:
                    self.answers.append(answer)


def _cause(answer: Answer) -> str:
    """Why a 5xx happened: an injected fault of the entity's sources, or not."""
    if answer.entity.fault is not None:
        return f"injected fault '{answer.entity.fault}' ({answer.operation}): {answer.error}"
    return f"NOT INJECTED: {answer.operation} {answer.entity.path}: {answer.status} {answer.error}"


def _consistency(worker: LocalWorker) -> dict[str, int]:
    rows = {str(r[0]) for r in worker.sql("SELECT r2_key FROM images WHERE r2_key != ''", ())}
    objects = set(worker.r2_objects())
    return {
        "image rows": len(worker.sql("SELECT id FROM images", ())),
        "rows with an image": len(rows),
        "rows without objects": len(rows - objects),
        "objects without rows": len(objects - rows),
        "leftover claims": int(str(worker.sql("SELECT count(*) FROM image_claims", ())[0][0])),
    }


def _failure_lines(workers: list[LocalWorker]) -> list[str]:
    """The Worker's own log lines about failed dependencies and crashes: the request line and
    the exception messages of its traceback."""
    found: list[str] = []
    for worker in workers:
        lines = worker.log().splitlines()
        for i, line in enumerate(lines):
            if "dependency failed" in line or "unhandled error" in line:
                trace = lines[i + 1 : i + 60]
                end = next((j for j, t in enumerate(trace) if "failed on " in t), len(trace))
                errors = [t.strip() for t in trace[:end] if "Error" in t or "Exception" in t]
                found.append(" | ".join([line.strip(), *errors])[-800:])
    return found


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] if values else 0


def report(answers: list[Answer], consistency: dict[str, int], seconds: float) -> dict[str, object]:
    """The run's numbers (also printed as Markdown)."""
    by_operation: dict[str, Counter[int]] = {}
    for answer in answers:
        by_operation.setdefault(answer.operation, Counter())[answer.status] += 1
    causes = Counter(_cause(a) for a in answers if a.status >= 500 or a.status == 0)
    latencies = {
        op: _percentile([a.ms for a in answers if a.operation == op], 50) for op in by_operation
    }
    return {
        "seconds": round(seconds),
        "requests": len(answers),
        "by_operation": {op: dict(sorted(c.items())) for op, c in sorted(by_operation.items())},
        "p50_ms": {op: round(ms) for op, ms in sorted(latencies.items())},
        "server_errors_by_cause": dict(causes.most_common()),
        "not_injected_server_errors": sum(n for c, n in causes.items() if c.startswith("NOT")),
        "consistency": consistency,
    }


def _print(result: dict[str, object]) -> None:
    print(f"{result['requests']} requests in {result['seconds']} s")
    print("| operation | answers by status | p50 ms |")
    print("| --- | --- | --- |")
    by_operation = result["by_operation"]
    p50 = result["p50_ms"]
    assert isinstance(by_operation, dict)
    assert isinstance(p50, dict)
    for op, statuses in by_operation.items():
        text = ", ".join(f"{s}: {n}" for s, n in statuses.items())
        print(f"| {op} | {text} | {p50[op]} |")
    print("\n5xx (and transport errors) by cause:")
    causes = result["server_errors_by_cause"]
    assert isinstance(causes, dict)
    for cause, count in causes.items():
        print(f"- {count} x {cause}")
    print(f"\nnot injected: {result['not_injected_server_errors']}")
    failures = result.get("worker_failures") or []
    assert isinstance(failures, list)
    for line in failures:
        print("worker:", line)
    print("consistency:", json.dumps(result["consistency"]))


def main() -> int:
    """Run the load, print the report; exit 1 on a 5xx not injected or an inconsistency."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--runtimes", type=int, default=1, help="workerd processes, one state")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    stop_on_signals()
    with run_fake_upstream(timeout_delay_s=3.0, slow_total_s=0.5) as fake:
        env = fake.settings_env(FETCH_TIMEOUT_MS=FETCH_TIMEOUT_MS, MISS_LIMIT_PER_MINUTE="100000")
        # "log" keeps the Worker's own lines (why a 5xx happened) for the report.
        first = LocalWorker(vars=env, log_level="log").start()
        workers = [first]
        try:
            for _ in range(args.runtimes - 1):
                other = LocalWorker(
                    vars=env, state_dir=first.state_dir, migrate=False, log_level="log"
                )
                workers.append(other.start())
            reader = add_key(first.state_dir, new_key("read", name="load", rate_limit_rpm=10**6))
            admin = add_key(first.state_dir, new_key("admin", name="load", rate_limit_rpm=10**6))
            upload = httpx.get(fake.url("/img/sample-gif/x.gif")).content
            load = Load(
                [w.base_url for w in workers],
                reader,
                admin,
                upload,
                fake.url("/img/redirect-target/cover.png"),
            )
            started = time.monotonic()
            until = started + args.minutes * 60
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                clients = [
                    pool.submit(load.client_loop, args.seed * 1000 + seed, until)
                    for seed in range(args.clients)
                ]
                for client in clients:
                    client.result()  # a client that crashed is a broken run
            seconds = time.monotonic() - started
            # Every client has its answer: nothing is in flight, so the store must agree now.
            result = report(load.answers, _consistency(first), seconds)
            result["worker_failures"] = _failure_lines(workers)
        finally:
            for worker in reversed(workers):
                worker.stop()
    _print(result)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    consistency = result["consistency"]
    assert isinstance(consistency, dict)
    broken = sum(consistency[k] for k in ("rows without objects", "objects without rows"))
    bad = result["not_injected_server_errors"] or broken or consistency["leftover claims"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
