"""`make dev`: the service on http://127.0.0.1:PORT with embedded D1, R2 and Images.

Applies the migrations to the state directory, makes sure a local read key exists (kept in
<state>/dev-key.txt so it can be shown again; local only), starts `wrangler dev` with its whole
output in <state>/wrangler-<port>.log, and once the Worker answers prints the key and what to
curl. Then it shows each request in one line, and what the Worker prints, until Ctrl-C.

`--upstreams real` (the default) asks the real sources, which needs internet; `--upstreams
fake` starts the local fake of every source (rewind_devkit.fake_upstream) beside the Worker and
stops it with it, so everything works offline. Settings come from wrangler.toml [vars],
.dev.vars and the `--var NAME:VALUE` arguments, which are passed on to wrangler with any other
unknown argument.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from rewind_devkit.fake_upstream import FakeUpstream, run_fake_upstream
from rewind_devkit.local_d1 import ROOT, apply_migrations
from rewind_devkit.local_keys import add_key, is_active, new_key
from rewind_devkit.local_settings import fake_upstream_settings
from rewind_devkit.local_worker import PORT_TAKEN, LocalWorker, port_free
from rewind_devkit.signals import stop_on_signals
from rewind_devkit.wrangler_output import TerminalFilter

REAL = "real"
FAKE = "fake"
# The readiness probe's path: the Worker answers it (404), and the terminal does not show it.
READY_PROBE = "/__dev/ready"
FOLLOW_INTERVAL_S = 0.1  # how often the log file is read for new lines
FOLLOW_CHUNK = 64 * 1024
FAILURE_TAIL_LINES = 20
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
# An album every source has, the fake's and the real ones.
EXAMPLE = "listening/albums/discovery/medium?artist_name=Daft%20Punk&album_name=Discovery"
REAL_SOURCES_NOTE = (
    "Upstreams: the real ones (Deezer, iTunes, Cover Art Archive; Apple Music, TMDB and "
    "Fanart.tv with their keys in .dev.vars): a miss needs internet. "
    "Offline: make dev UPSTREAMS=fake"
)


def ensure_dev_key(state: Path) -> str:
    """The local read key, created on first use."""
    key_file = state / "dev-key.txt"
    if key_file.exists():
        raw = key_file.read_text().strip()
        if is_active(state, raw):
            return raw
    raw = add_key(state, new_key("read", name="local dev"))
    key_file.write_text(raw + "\n")
    return raw


def port_taken_message(port: int) -> str:
    """What to say when the port is taken (wrangler would suggest its own --port)."""
    return (
        f"make dev: port {port} is already in use (another make dev?). "
        f"Choose another one: PORT={port + 1} make dev"
    )


def shown_path(path: Path) -> str:
    """A path as short as it can be said: relative to the checkout when inside it."""
    with contextlib.suppress(ValueError):
        return str(path.relative_to(ROOT))
    return str(path)


def local_cdn_chosen(extra: list[str]) -> bool:
    """Whether CDN_BASE_URL was set by the caller (.dev.vars or a --var)."""
    dev_vars = ROOT / ".dev.vars"
    return any(a.startswith("CDN_BASE_URL:") for a in extra) or (
        dev_vars.exists()
        and any(line.startswith("CDN_BASE_URL=") for line in dev_vars.read_text().splitlines())
    )


def settings(fake: FakeUpstream | None, base: str, cdn_chosen: bool) -> dict[str, str]:
    """The --var settings of the Worker: the fake's, and the local CDN unless one is chosen."""
    # The local CDN: the Locations this service hands out point back at it, and it serves them
    # from the local bucket.
    chosen = {"LOCAL_CDN": "true", "CDN_BASE_URL": base}
    found = fake_upstream_settings(fake, base) if fake is not None else dict(chosen)
    if cdn_chosen:
        for name in chosen:
            found.pop(name, None)
    return found


def banner(base: str, state: Path, key: str, worker: LocalWorker, *, local_cdn: bool) -> str:
    """What to try, printed once the Worker answers."""
    auth = f"-H 'Authorization: Bearer {key}'"
    lines = [
        "",
        f"Rewind images on {base}  (state: {shown_path(state)}/,"
        f" full log: {shown_path(worker.wrangler_log_path)})",
        f"Read key: {key}",
        f"  curl {base}/v1/health",
        f"  curl -i {auth} \\",
        f"       '{base}/v1/images/{EXAMPLE}'",
        f"  curl {auth} '{base}/v1/images/{EXAMPLE}&format=json'",
        f"  curl {base}/v1/openapi.json",
    ]
    if local_cdn:
        lines.append(f"Redirects point at the local CDN on {base}; placeholder page: {base}/demo")
    lines += [
        f"Admin key: make key SCOPE=admin STATE={shown_path(state)}  (admin tour: docs/admin.md)",
        "Requests show below, one line each; Ctrl-C stops.",
        "",
    ]
    return "\n".join(lines)


class Terminal:
    """Prints kept lines, cut to the terminal's width when it is one (the log has them whole)."""

    def __init__(self) -> None:
        self.width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None

    def show(self, line: str) -> None:
        if self.width is not None and len(line) > self.width:
            line = line[: self.width - 1] + "…"
        print(line, flush=True)


def _lines(log: Path) -> Iterator[bytes | None]:
    """The log's lines (with their newline) as they are written; None while nothing is new."""
    pending = b""
    with log.open("rb") as file:
        while True:
            chunk = file.read(FOLLOW_CHUNK)
            if not chunk:
                yield None
                continue
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                yield raw + b"\n"


def follow(worker: LocalWorker, keep: TerminalFilter, terminal: Terminal, shown_from: int) -> None:
    """Show the kept lines of the log written after byte `shown_from` (the earlier ones still go
    through the filter, for its state) until wrangler ends."""
    read = 0
    for raw in _lines(worker.wrangler_log_path):
        if raw is None:
            if not worker.running:
                return
            time.sleep(FOLLOW_INTERVAL_S)
            continue
        read += len(raw)
        kept = keep.feed(raw.decode(errors="replace"))
        if kept is not None and read > shown_from:
            terminal.show(kept)


def failure_tail(worker: LocalWorker) -> list[str]:
    """The last kept lines of a log, for a start that failed."""
    keep = TerminalFilter()
    lines = [kept for raw in worker.log().splitlines() if (kept := keep.feed(raw)) is not None]
    return lines[-FAILURE_TAIL_LINES:]


def run(args: argparse.Namespace, extra: list[str], state: Path) -> int:
    """Start (the fake and) the Worker, print the banner, show its output until stopped."""
    base = f"http://127.0.0.1:{args.port}"
    cdn_chosen = local_cdn_chosen(extra)
    with contextlib.ExitStack() as stack:
        fake = None
        if args.upstreams == FAKE:
            fake = stack.enter_context(run_fake_upstream())
            print(f"Upstreams: the local fake of every source on {fake.base_url} (offline)")
        else:
            print(REAL_SOURCES_NOTE)
        worker = LocalWorker(
            vars=settings(fake, base, cdn_chosen),
            state_dir=state,
            port=args.port,
            ready_path=READY_PROBE,
            migrate=False,
            extra_args=tuple(extra),
        )
        print(f"Starting the Worker (full log: {shown_path(worker.wrangler_log_path)}) ...")
        try:
            worker.start()
        except RuntimeError:
            if PORT_TAKEN in worker.log():
                print(port_taken_message(args.port))
            else:
                print("The Worker did not start. The end of its log:")
                print("\n".join(f"  {line}" for line in failure_tail(worker)))
            return EXIT_FAILED
        stack.callback(worker.stop)
        shown_from = worker.wrangler_log_path.stat().st_size
        key = ensure_dev_key(state)
        print(banner(base, state, key, worker, local_cdn=not cdn_chosen), flush=True)
        follow(worker, TerminalFilter(frozenset({READY_PROBE})), Terminal(), shown_from)
        print(f"wrangler dev stopped; its log: {shown_path(worker.wrangler_log_path)}")
        return EXIT_FAILED


def main() -> int:
    """Parse the arguments, prepare the state, run until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--state", default=".state")
    parser.add_argument("--upstreams", choices=(REAL, FAKE), default=REAL)
    # Any other arguments are passed on to `wrangler dev` (e.g. --var NAME:VALUE).
    args, extra = parser.parse_known_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # shown as it goes
    stop_on_signals()  # SIGTERM and SIGHUP stop it like Ctrl-C (the finally blocks run)
    if not port_free(args.port):
        print(port_taken_message(args.port))
        return EXIT_FAILED
    state = (ROOT / args.state).resolve()
    try:
        state.mkdir(parents=True, exist_ok=True)
        apply_migrations(state)
        return run(args, extra, state)
    except KeyboardInterrupt:
        # Stopped (everything it started is, by now). Under make, which got the Ctrl-C too and
        # ends with it (status 130), a quiet 0 here keeps make from adding an "Error 130" line.
        return 0 if "MAKELEVEL" in os.environ else EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
