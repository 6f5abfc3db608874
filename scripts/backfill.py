"""Backfill images: ask the image service for every entity of a JSON-lines file.

    python scripts/backfill.py entities.jsonl --base-url http://127.0.0.1:8787 --key rw_...
        [--mode get|queue] [--concurrency 4] [--size medium] [--batch 1000]
        [--state backfill.state.jsonl] [--no-retry-failed]

Two modes. `get` (the default) sends one GET per entity, so each miss runs the pipeline inline
(below). `queue` sends the entities in batches of up to 1,000 to the admin route
POST /v1/admin/images/backfill (an admin key), which queues the ones without a record for the
service's background consumer and answers at once; see "Queue mode" at the end.

Each input line is one JSON object: "domain", "entity_type", "entity_id" and optionally the
hints "artist_name", "album_name", "mbid", "tmdb_id", "article_url" (other fields are ignored).
For each entity the script sends GET /v1/images/{domain}/{entity_type}/{entity_id}/{size}?hints
with the key, without following the redirect, and records the outcome:

    302                 resolved    (the service has an image; a miss ran the pipeline)
    404                 not_found   (no source has an image)
    400 and other 4xx   invalid     (the line is wrong; the server's message is shown)
    429                 waits Retry-After (all workers pause), retried up to MAX_RATE_LIMIT_RETRIES
    5xx, network error  failed      (worth retrying later)
    401 / 403           stops the run: the key is wrong, nothing more can succeed

Resuming: every outcome is appended to the state file (one JSON line per entity, flushed at
once), and a new run skips the entities already recorded as resolved, not_found or invalid.
Failed ones are retried by default (`--no-retry-failed` skips them too). Lines that are not
valid JSON or lack a field are reported with their line number, counted as invalid, and not
recorded (they cost no request and are reported again next time).

Ctrl-C stops cleanly: requests in flight are abandoned (and not recorded, so they run next
time), the state file stays intact, the summary is printed. A second Ctrl-C exits at once.

Exit status: 0 when nothing failed, 1 when something failed (or the key was refused), 2 for
usage errors or when the base URL does not answer like the service, 130 when interrupted.

Queue mode: each call carries up to `--batch` entities (at most 1,000; `--concurrency` calls
at once) and its answer says, per entity:

    queued              a background resolution is queued (not done yet: a later run sends it
                        again, and the service then answers recorded, or queues it again)
    recorded            the entity already has its record (an image, or "no image")
    unaskable           no source can be asked with its hints (counted as not found, as a
                        GET mode 404)
    failed              its background resolution failed on every try lately (run again later)
    invalid             the line is wrong (the server's message is shown)

A 429 pauses and retries the call as in GET mode; 401/403 stop the run; a 5xx or network error
fails every entity of the call. Recorded, unaskable and invalid entities are skipped by later
runs (as are GET mode's resolved and not_found ones). The summary line is
`queued N, already recorded N, unaskable N, failed N, invalid N, skipped N (already done)`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlencode

import httpx
from tqdm import tqdm

from rewind_devkit.tls import shared_tls_context

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 64
DEFAULT_SIZE = "medium"
GET_MODE = "get"
QUEUE_MODE = "queue"
MAX_BATCH = 1_000  # entities per backfill call (the route's limit)
BACKFILL_PATH = "/v1/admin/images/backfill"
DEFAULT_TIMEOUT_S = 120.0  # a miss runs the whole pipeline (several upstreams, a claim wait)
MAX_RATE_LIMIT_RETRIES = 5
DEFAULT_RETRY_AFTER_S = 1.0  # when a 429 has no usable Retry-After
MAX_RETRY_AFTER_S = 120.0
KEY_ENV = "REWIND_API_KEY"
USER_AGENT = "rewind-images-backfill/0.1"

REQUIRED_FIELDS = ("domain", "entity_type", "entity_id")
HINT_FIELDS = ("artist_name", "album_name", "mbid", "tmdb_id", "article_url")

RESOLVED = "resolved"
NOT_FOUND = "not_found"
FAILED = "failed"
INVALID = "invalid"
QUEUED = "queued"
RECORDED = "recorded"
OUTCOMES = (RESOLVED, NOT_FOUND, FAILED, INVALID, QUEUED, RECORDED)
DONE_OUTCOMES = frozenset({RESOLVED, NOT_FOUND, INVALID, RECORDED})

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class BackfillAborted(Exception):
    """The run cannot go on (the key was refused); the message says why."""


@dataclass(frozen=True)
class Entity:
    """One input line that names an entity."""

    line: int
    domain: str
    entity_type: str
    entity_id: str
    hints: dict[str, str]

    @property
    def key(self) -> str:
        """The entity's key in the state file."""
        return f"{self.domain}/{self.entity_type}/{self.entity_id}"


@dataclass(frozen=True)
class BadLine:
    """An input line that names no usable entity."""

    line: int
    reason: str


@dataclass(frozen=True)
class Result:
    """What the service said about one entity."""

    outcome: str
    status: int | None = None
    detail: str = ""


@dataclass
class Summary:
    """Counts of one run."""

    resolved: int = 0
    not_found: int = 0
    failed: int = 0
    invalid: int = 0
    skipped: int = 0
    queued: int = 0
    recorded: int = 0
    interrupted: bool = False
    aborted: str | None = None
    not_attempted: int = 0
    mode: str = GET_MODE

    @property
    def handled(self) -> int:
        """Input lines dealt with so far (every outcome, and the skipped ones)."""
        return sum(getattr(self, outcome) for outcome in OUTCOMES) + self.skipped

    def add(self, outcome: str) -> None:
        """Count one outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)

    def line(self) -> str:
        """The summary line printed at the end."""
        done = (
            f"queued {self.queued}, already recorded {self.recorded}, unaskable {self.not_found}"
            if self.mode == QUEUE_MODE
            else f"resolved {self.resolved}, not found {self.not_found}"
        )
        return (
            f"{done}, failed {self.failed}, "
            f"invalid {self.invalid}, skipped {self.skipped} (already done)"
        )

    def exit_code(self) -> int:
        """The process exit status for this run."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED if self.failed or self.aborted else EXIT_OK


@dataclass
class Config:
    """Everything a run needs (the CLI's arguments)."""

    input_path: Path
    base_url: str
    key: str
    state_path: Path
    size: str = DEFAULT_SIZE
    mode: str = GET_MODE
    batch: int = MAX_BATCH
    concurrency: int = DEFAULT_CONCURRENCY
    retry_failed: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retry_after_s: float = MAX_RETRY_AFTER_S
    progress: bool = True
    log: Callable[[str], None] = field(default=lambda message: tqdm.write(message, sys.stderr))


# --- input ---------------------------------------------------------------------------------------


def parse_line(number: int, text: str) -> Entity | BadLine:
    """One input line as an entity, or why it is not one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return BadLine(number, f"not valid JSON ({exc})")
    if not isinstance(data, dict):
        return BadLine(number, "not a JSON object")
    values: dict[str, str] = {}
    for name in REQUIRED_FIELDS:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            return BadLine(number, f"missing or non-string {name!r}")
        values[name] = value
    if values["entity_id"] in (".", ".."):
        return BadLine(number, "entity_id may not be '.' or '..'")
    hints: dict[str, str] = {}
    for name in HINT_FIELDS:
        value = data.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, int) and not isinstance(value, bool) and name == "tmdb_id":
            value = str(value)
        if not isinstance(value, str):
            return BadLine(number, f"{name!r} must be a string")
        hints[name] = value
    return Entity(number, values["domain"], values["entity_type"], values["entity_id"], hints)


def read_lines(path: Path) -> Iterator[Entity | BadLine]:
    """The input file's non-blank lines, parsed, in order."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, text in enumerate(lines, start=1):
            if text.strip():
                yield parse_line(number, text)


def count_lines(path: Path) -> int:
    """How many non-blank lines the input has (the progress bar's total)."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        return sum(1 for text in lines if text.strip())


# --- state ---------------------------------------------------------------------------------------


def load_state(path: Path) -> dict[str, str]:
    """The latest recorded outcome of each entity key (a torn last line is ignored)."""
    outcomes: dict[str, str] = {}
    if not path.exists():
        return outcomes
    with path.open(encoding="utf-8", errors="replace") as lines:
        for text in lines:
            try:
                entry = json.loads(text)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            key, outcome = entry.get("key"), entry.get("outcome")
            if isinstance(key, str) and outcome in OUTCOMES:
                outcomes[key] = outcome
    return outcomes


class StateFile:
    """Appends one JSON line per outcome, flushed immediately."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("a", encoding="utf-8")
        self._ensure_line_start(path)

    def _ensure_line_start(self, path: Path) -> None:
        # A run killed mid-write may have left half a line: start ours on a fresh one.
        size = path.stat().st_size
        if size:
            with path.open("rb") as existing:
                existing.seek(size - 1)
                if existing.read(1) != b"\n":
                    self._file.write("\n")
                    self._file.flush()

    def record(self, entity: Entity, result: Result) -> None:
        """Append an entity's outcome."""
        entry = {
            "key": entity.key,
            "outcome": result.outcome,
            "status": result.status,
            "detail": result.detail,
            "line": entity.line,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Flush to disk and close."""
        with contextlib.suppress(OSError):
            os.fsync(self._file.fileno())
        self._file.close()


# --- requests ------------------------------------------------------------------------------------


def image_url(base_url: str, entity: Entity, size: str) -> str:
    """The image URL of an entity (each path segment percent-encoded, hints as the query)."""
    segments = (entity.domain, entity.entity_type, entity.entity_id, size)
    path = "/v1/images/" + "/".join(quote(segment, safe="") for segment in segments)
    query = urlencode(entity.hints, quote_via=quote)
    return base_url.rstrip("/") + path + (f"?{query}" if query else "")


def retry_after_seconds(value: str | None, cap: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), capped."""
    wait = DEFAULT_RETRY_AFTER_S
    if value:
        text = value.strip()
        if text.isdigit():
            wait = float(text)
        else:
            with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
                when = parsedate_to_datetime(text)
                wait = max(0.0, when.timestamp() - time.time())
    return min(max(wait, 0.0), cap)


def error_message(response: httpx.Response) -> str:
    """The `error` of the service's envelope, or the start of the body."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return response.text[:200]


class Requester:
    """Sends the requests of a run; a 429 pauses every worker until its Retry-After."""

    def __init__(self, client: httpx.AsyncClient, config: Config) -> None:
        self._client = client
        self._config = config
        self._resume_at = 0.0

    async def _wait_for_pause(self) -> None:
        loop = asyncio.get_running_loop()
        while (delay := self._resume_at - loop.time()) > 0:
            await asyncio.sleep(delay)

    async def _send(self, send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response | Result:
        """The answer to `send()`, retried past 429s; a FAILED Result when it never came."""
        loop = asyncio.get_running_loop()
        for _ in range(MAX_RATE_LIMIT_RETRIES + 1):
            await self._wait_for_pause()
            try:
                response = await send()
            except httpx.HTTPError as exc:
                return Result(FAILED, None, f"{type(exc).__name__}: {exc}".rstrip(": "))
            if response.status_code == 429:
                wait = retry_after_seconds(
                    response.headers.get("retry-after"), self._config.max_retry_after_s
                )
                self._resume_at = max(self._resume_at, loop.time() + wait)
                continue
            return response
        return Result(FAILED, 429, f"still rate limited after {MAX_RATE_LIMIT_RETRIES} retries")

    async def fetch(self, entity: Entity) -> Result:
        """Ask the service about one entity and classify the answer."""
        url = image_url(self._config.base_url, entity, self._config.size)
        answer = await self._send(lambda: self._client.get(url))
        return answer if isinstance(answer, Result) else classify(answer)

    async def queue(self, entities: list[Entity]) -> list[Result]:
        """Send entities to the backfill route; each one's outcome, in order."""
        url = self._config.base_url.rstrip("/") + BACKFILL_PATH
        body = {"items": [backfill_item(entity) for entity in entities]}
        answer = await self._send(lambda: self._client.post(url, json=body))
        if isinstance(answer, Result):
            return [answer] * len(entities)
        return classify_backfill(answer, len(entities))


def classify(response: httpx.Response) -> Result:
    """The outcome of one (non-429) answer; raises BackfillAborted when the key is refused."""
    status = response.status_code
    if status == 302:
        return Result(RESOLVED, status, response.headers.get("location", ""))
    if status == 404:
        return Result(NOT_FOUND, status, error_message(response))
    if status in (401, 403):
        raise BackfillAborted(
            f"the service refused the key: HTTP {status} {error_message(response)}"
        )
    if status == 408 or status >= 500:
        return Result(FAILED, status, error_message(response))
    if 400 <= status < 500:
        return Result(INVALID, status, error_message(response))
    return Result(FAILED, status, f"unexpected HTTP {status}")


def backfill_item(entity: Entity) -> dict[str, str]:
    """An entity as the backfill route takes it."""
    return {
        "domain": entity.domain,
        "entity_type": entity.entity_type,
        "entity_id": entity.entity_id,
        **entity.hints,
    }


def classify_backfill(response: httpx.Response, count: int) -> list[Result]:
    """The outcomes of one backfill call of `count` entities; raises BackfillAborted when the
    key is refused."""
    status = response.status_code
    if status in (401, 403):
        raise BackfillAborted(
            f"the service refused the key: HTTP {status} {error_message(response)}"
        )
    if status != 200:
        outcome = INVALID if 400 <= status < 500 and status != 408 else FAILED
        return [Result(outcome, status, error_message(response))] * count
    try:
        items = response.json()["items"]
    except (ValueError, KeyError, TypeError) as exc:
        return [Result(FAILED, status, f"unexpected answer: {exc}")] * count
    if not isinstance(items, list) or len(items) != count:
        return [Result(FAILED, status, f"unexpected answer: not {count} outcomes")] * count
    return [_backfill_outcome(item, status) for item in items]


def _backfill_outcome(item: Any, status: int) -> Result:
    outcomes = {
        "queued": QUEUED,
        "recorded": RECORDED,
        "unaskable": NOT_FOUND,
        "failed": FAILED,
        "invalid": INVALID,
    }
    if not isinstance(item, dict) or item.get("status") not in outcomes:
        return Result(FAILED, status, f"unexpected outcome {item!r}")
    return Result(outcomes[item["status"]], status, str(item.get("error") or ""))


async def check_service(client: httpx.AsyncClient, base_url: str) -> str | None:
    """None when the base URL answers GET /v1/health like the service, else the problem."""
    url = base_url.rstrip("/") + "/v1/health"
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        return f"cannot reach {url}: {type(exc).__name__}: {exc}"
    if response.status_code != 200:
        return f"{url} answered HTTP {response.status_code}; is --base-url the image service?"
    return None


# --- the run -------------------------------------------------------------------------------------


@contextlib.contextmanager
def progress_bar(config: Config, total: int) -> Iterator[tqdm[Any]]:
    """A tqdm bar on stderr (disabled with config.progress=False)."""
    bar = tqdm(
        total=total,
        unit="entity",
        file=sys.stderr,
        disable=not config.progress,
        dynamic_ncols=True,
    )
    try:
        yield bar
    finally:
        bar.close()


def make_client(config: Config) -> httpx.AsyncClient:
    """The HTTP client of a run: the key, no redirects, one connection per worker."""
    return httpx.AsyncClient(
        verify=shared_tls_context(),
        headers={"authorization": f"Bearer {config.key}", "user-agent": USER_AGENT},
        follow_redirects=False,
        timeout=httpx.Timeout(config.timeout_s),
        limits=httpx.Limits(max_connections=config.concurrency),
    )


async def _entities(
    config: Config, done: dict[str, str], summary: Summary, bar: tqdm[Any]
) -> AsyncIterator[Entity]:
    """The entities to ask about; bad lines, done and duplicate entities are counted here."""
    seen: set[str] = set()
    for item in read_lines(config.input_path):
        if isinstance(item, BadLine):
            config.log(f"line {item.line}: invalid: {item.reason}")
            summary.add(INVALID)
            bar.update(1)
            continue
        previous = done.get(item.key)
        skip = previous in DONE_OUTCOMES or (previous == FAILED and not config.retry_failed)
        if skip or item.key in seen:
            summary.skipped += 1
            bar.update(1)
            continue
        seen.add(item.key)
        yield item
        await asyncio.sleep(0)


async def _chunks(
    config: Config, done: dict[str, str], summary: Summary, bar: tqdm[Any]
) -> AsyncIterator[list[Entity]]:
    """The entities to ask about, one per request (GET mode) or `config.batch` per call."""
    size = config.batch if config.mode == QUEUE_MODE else 1
    chunk: list[Entity] = []
    async for entity in _entities(config, done, summary, bar):
        chunk.append(entity)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def run_backfill(config: Config, stop: asyncio.Event | None = None) -> Summary:
    """Run a backfill; returns its summary. Setting `stop` ends it early (as Ctrl-C does)."""
    stop = stop or asyncio.Event()
    summary = Summary(mode=config.mode)
    done = load_state(config.state_path)
    total = count_lines(config.input_path)
    state = StateFile(config.state_path)
    queue: asyncio.Queue[list[Entity] | None] = asyncio.Queue(maxsize=config.concurrency * 2)
    try:
        async with make_client(config) as client:
            requester = Requester(client, config)
            with progress_bar(config, total) as bar:

                async def produce() -> None:
                    async for chunk in _chunks(config, done, summary, bar):
                        await queue.put(chunk)
                    for _ in range(config.concurrency):
                        await queue.put(None)

                async def ask(chunk: list[Entity]) -> list[Result]:
                    if config.mode == QUEUE_MODE:
                        return await requester.queue(chunk)
                    return [await requester.fetch(chunk[0])]

                async def work() -> None:
                    while (chunk := await queue.get()) is not None:
                        results = await ask(chunk)
                        for entity, result in zip(chunk, results, strict=True):
                            state.record(entity, result)  # no await between answer and record
                            summary.add(result.outcome)
                            bar.update(1)
                            if result.outcome in (FAILED, INVALID):
                                where = f"line {entity.line} {entity.key}"
                                status = f"HTTP {result.status}" if result.status else "error"
                                config.log(f"{where}: {result.outcome} ({status}: {result.detail})")
                        bar.set_postfix_str(summary.line().split(", invalid")[0], refresh=False)

                await _supervise(
                    [asyncio.create_task(produce())]
                    + [asyncio.create_task(work()) for _ in range(config.concurrency)],
                    stop,
                    summary,
                )
                if summary.interrupted or summary.aborted:
                    summary.not_attempted = total - summary.handled
    finally:
        state.close()
    return summary


async def _supervise(
    tasks: list[asyncio.Task[None]], stop: asyncio.Event, summary: Summary
) -> None:
    """Wait for the tasks; on `stop` or an abort, cancel the rest."""
    stopper = asyncio.create_task(stop.wait())
    pending: set[asyncio.Task[Any]] = set(tasks)
    try:
        while pending:
            finished, pending = await asyncio.wait(
                pending | {stopper}, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(stopper)
            if stopper in finished:
                summary.interrupted = True
                break
            for task in finished:
                error = None if task.cancelled() else task.exception()
                if error is None:
                    continue
                if not isinstance(error, BackfillAborted):
                    raise error
                summary.aborted = str(error)
            if summary.aborted:
                break
    finally:
        stopper.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(stopper, *tasks, return_exceptions=True)


# --- command line --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Config:
    """The CLI's arguments as a Config (exits 2 on a usage error)."""
    parser = argparse.ArgumentParser(
        prog="backfill.py",
        description="Ask the image service for every entity of a JSON-lines file.",
        epilog=__doc__.split("\n\n", 2)[2] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", type=Path, help="JSON-lines file of entities")
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8787")
    parser.add_argument(
        "--key", default=os.environ.get(KEY_ENV), help=f"API key (default: ${KEY_ENV})"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"requests at once (default {DEFAULT_CONCURRENCY}, at most {MAX_CONCURRENCY})",
    )
    parser.add_argument(
        "--mode",
        choices=(GET_MODE, QUEUE_MODE),
        default=GET_MODE,
        help="get: one GET per entity (a miss resolves inline); queue: batches to the admin "
        "backfill route, resolved in the background (an admin key)",
    )
    parser.add_argument("--size", default=DEFAULT_SIZE, help="size asked for (any valid size)")
    parser.add_argument(
        "--batch",
        type=int,
        default=MAX_BATCH,
        help=f"queue mode: entities per call (default and most {MAX_BATCH})",
    )
    parser.add_argument(
        "--state", type=Path, help="state file (default: <input>.state.jsonl next to the input)"
    )
    parser.add_argument(
        "--retry-failed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="retry entities recorded as failed (default: yes)",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="per request, s")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not args.key:
        parser.error(f"an API key is needed: --key or ${KEY_ENV}")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    if not 1 <= args.batch <= MAX_BATCH:
        parser.error(f"--batch must be between 1 and {MAX_BATCH}")
    if not args.input.is_file():
        parser.error(f"no such file: {args.input}")
    if not args.base_url.startswith(("http://", "https://")):
        parser.error("--base-url must start with http:// or https://")
    state = args.state or args.input.with_name(args.input.stem + ".state.jsonl")
    return Config(
        input_path=args.input,
        base_url=args.base_url,
        key=args.key,
        state_path=state,
        size=args.size,
        mode=args.mode,
        batch=args.batch,
        concurrency=args.concurrency,
        retry_failed=args.retry_failed,
        timeout_s=args.timeout,
        progress=not args.no_progress,
    )


async def _main(config: Config) -> Summary | str:
    async with make_client(config) as client:
        problem = await check_service(client, config.base_url)
    if problem is not None:
        return problem
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_interrupt() -> None:
        stop.set()
        # A second Ctrl-C gets Python's default behaviour (KeyboardInterrupt at once).
        loop.remove_signal_handler(signal.SIGINT)

    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    return await run_backfill(config, stop)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    config = parse_args(argv)
    try:
        outcome = asyncio.run(_main(config))
    except KeyboardInterrupt:
        print("interrupted; the state file has every finished entity", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(outcome, str):
        print(f"backfill: {outcome}", file=sys.stderr)
        return EXIT_USAGE
    if outcome.aborted:
        print(f"backfill: stopped: {outcome.aborted}", file=sys.stderr)
    if outcome.interrupted:
        print("backfill: interrupted; run again to continue", file=sys.stderr)
    if outcome.not_attempted:
        print(f"{outcome.not_attempted} entities not attempted", file=sys.stderr)
    print(outcome.line())
    print(f"state: {config.state_path}", file=sys.stderr)
    return outcome.exit_code()


if __name__ == "__main__":
    sys.exit(main())
