"""Run the Worker under the real workerd (via `wrangler dev`) for HTTP tests, demos and benches.

Each `LocalWorker` gets a fresh state directory: the D1 migrations are applied there, optional
seed SQL is executed into the local D1 database, then `wrangler dev` starts on a free loopback
port in its own process group and is polled until it answers. `stop()` ends the whole group.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from rewind_devkit.local_d1 import apply_migrations, execute_sql
from rewind_devkit.tls import shared_tls_context

ROOT = Path(__file__).resolve().parents[2]
WRANGLER = ROOT / "scripts" / "wrangler-local"
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0
# A port found free can be taken before wrangler binds it (by another process's ephemeral
# port, e.g. a concurrent workerd's); a chosen port is then replaced this many times.
START_ATTEMPTS = 3
# wrangler says "Address already in use"; the dev command, checking first, "is already in use".
PORT_TAKEN = "already in use"
# What wrangler logs once the Worker has started (its runtime listening, the Worker loaded).
READY_LINE = "Ready on http"


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether a new server could listen on 127.0.0.1:port now (closed connections may linger
    in TIME_WAIT, which SO_REUSEADDR allows, as servers set it; a listener still there does
    not)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wrangler_log_path(state_dir: Path, port: int) -> Path:
    """Where a LocalWorker keeps the full wrangler/workerd output of its runtime on `port`."""
    return state_dir / f"wrangler-{port}.log"


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-200000:]
    except FileNotFoundError:
        return ""


class LocalWorker:
    """A `wrangler dev` process serving the Worker on loopback."""

    def __init__(
        self,
        *,
        vars: dict[str, str] | None = None,
        seed_sql: str | None = None,
        config: Path | None = None,
        state_dir: Path | None = None,
        port: int | None = None,
        ready_path: str | None = "/v1/health",
        python: bool = True,
        log_level: str = "log",
        migrate: bool = True,
        through_dev_command: bool = False,
        registry: Path | None = None,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        script: Path | None = None,
    ) -> None:
        self._tmp = None if state_dir is not None else tempfile.TemporaryDirectory(prefix="rw-")
        self.state_dir = state_dir or Path(self._tmp.name)  # type: ignore[union-attr]
        # Start through `scripts/dev.py` (what `make dev` runs: migrations, a local key, then
        # wrangler dev) instead of wrangler directly, so tests exercise the command itself.
        self.through_dev_command = through_dev_command
        self._port_chosen_here = port is None
        self._use_port(port or free_port())
        self.vars = vars or {}
        # More `wrangler dev` arguments (scripts/dev.py passes on its own extra ones).
        self.extra_args = extra_args
        self.seed_sql = seed_sql
        self.config = config
        # None: ready when wrangler says so, with no request sent (a cold-start measurement
        # sends the first request itself).
        self.ready_path = ready_path
        if ready_path is None and log_level not in ("info", "log", "debug"):
            raise ValueError("ready_path=None reads wrangler's info line: log_level info or below")
        self.python = python
        # "log" keeps the Worker's own output (tracebacks) for failing tests; benchmarks pass
        # "warn" so per-request log lines do not compete for the CPU.
        self.log_level = log_level
        self.migrate = migrate
        # wrangler's dev registry, where local Workers find each other's service bindings. By
        # default the user's (shared by every `wrangler dev` on the machine, so a binding to
        # "rewind-images" could reach another checkout's Worker); give Workers that must reach
        # each other a private one.
        self.registry = registry
        # Extra environment of wrangler and workerd (e.g. scripts/workerd's snapshot choice).
        self.env = env or {}
        # The Worker's entry instead of the config's `main` (e.g. a staged production upload).
        self.script = script
        self._process: subprocess.Popen[bytes] | None = None

    def _use_port(self, port: int) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        # One log per runtime: two runtimes may share a state dir.
        self.wrangler_log_path = wrangler_log_path(self.state_dir, port)
        # Through the dev command, its own output (what a terminal shows) goes beside the full
        # wrangler log it writes.
        self.log_path = (
            self.state_dir / f"dev-command-{port}.log"
            if self.through_dev_command
            else self.wrangler_log_path
        )

    def start(self) -> LocalWorker:
        """Migrate, seed, start, and wait until `ready_path` answers (or the log says why not)."""
        if self.migrate and not self.through_dev_command:
            apply_migrations(self.state_dir, self.config)
        if self.seed_sql:
            execute_sql(self.state_dir, self.seed_sql)
        for attempt in range(1, START_ATTEMPTS + 1):
            self._spawn()
            try:
                self._wait_ready()
            except BaseException as exc:  # also a KeyboardInterrupt: leave nothing behind
                taken = isinstance(exc, RuntimeError) and PORT_TAKEN in self.log()
                self._end_process()
                if taken and self._port_chosen_here and attempt < START_ATTEMPTS:
                    self._use_port(free_port())
                    continue
                self.stop()
                raise
            return self
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _spawn(self) -> None:
        if self.through_dev_command:
            # The dev command starts its own LocalWorker, which adds the arguments below.
            args = [sys.executable, str(ROOT / "scripts" / "dev.py"), "--port", str(self.port)]
            args += ["--state", str(self.state_dir)]
        else:
            # A JavaScript worker (the bench anchors) runs without the local Python flags.
            command = ["dev"] if self.python else ["wrangler-js", "dev"]
            if self.script is not None:
                command.append(str(self.script))
            args = [str(WRANGLER), *command, "--ip", "127.0.0.1", "--port", str(self.port)]
            args += ["--persist-to", str(self.state_dir)]
            args += ["--show-interactive-dev-session=false", "--log-level", self.log_level]
            # wrangler's devtools inspector otherwise takes the first free port from 9229, which
            # two starting at once both find free (then one fails: "Address already in use").
            # Port 0 is the system's choice.
            args += ["--inspector-port", "0"]
        # With a script, wrangler looks for the config beside it: name it.
        config = self.config or (ROOT / "wrangler.toml" if self.script is not None else None)
        if config is not None:
            args += ["--config", str(config)]
        for name, value in self.vars.items():
            args += ["--var", f"{name}:{value}"]
        args += self.extra_args  # last: a --var here wins over the same one in `vars`
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                args,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=self._environment(),
            )

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, "CI": "1", **self.env}
        if self.registry is not None:
            self.registry.mkdir(parents=True, exist_ok=True)
            env["WRANGLER_REGISTRY_PATH"] = str(self.registry)
        return env

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        if self.ready_path is None:
            while time.monotonic() < deadline:
                if self._process is not None and self._process.poll() is not None:
                    raise RuntimeError(f"wrangler dev exited early:\n{self.log()}")
                if READY_LINE in self.log():
                    return
                time.sleep(0.02)  # poll interval of the log; readiness is the line itself
            raise RuntimeError(f"wrangler dev not ready after {READY_TIMEOUT_S} s:\n{self.log()}")
        with httpx.Client(timeout=10, verify=shared_tls_context()) as client:
            while time.monotonic() < deadline:
                if self._process is not None and self._process.poll() is not None:
                    raise RuntimeError(f"wrangler dev exited early:\n{self.log()}")
                try:
                    response = client.get(f"{self.base_url}{self.ready_path}")
                    if response.status_code < 500:
                        return
                except httpx.TransportError:
                    pass
                # Poll interval while the port opens and Pyodide boots; readiness is the answer.
                time.sleep(0.2)
        raise RuntimeError(f"wrangler dev not ready after {READY_TIMEOUT_S} s:\n{self.log()}")

    @property
    def process_group(self) -> int | None:
        """The process group of wrangler and its workerd processes (None when stopped)."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        """Whether wrangler (or the dev command) is still running."""
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        """The wrangler/workerd output so far (through the dev command: what it printed, then
        the full wrangler log it keeps)."""
        if not self.through_dev_command:
            return _tail(self.log_path)
        full = _tail(self.wrangler_log_path)
        return f"{self.command_output()}\n--- {self.wrangler_log_path} ---\n{full}"

    def command_output(self) -> str:
        """What the dev command printed (its terminal output), when started through it."""
        return _tail(self.log_path)

    def sql(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        # One statement with its rows; use `execute_sql` for scripts.
        """Run SQL on this worker's local D1 file."""
        return execute_sql(self.state_dir, sql, params)

    def r2_objects(self) -> dict[str, dict[str, object]]:
        """Objects in the local R2 bucket: key -> {size, http_metadata, custom_metadata}.

        Read from miniflare's object index (SQLite) under the state dir, so tests can check
        that R2 and D1 agree without going through the Worker.
        """
        found: dict[str, dict[str, object]] = {}
        folder = self.state_dir / "v3" / "r2" / "miniflare-R2BucketObject"
        for path in folder.glob("*.sqlite"):
            if path.name == "metadata.sqlite":
                continue
            with sqlite3.connect(path, timeout=10) as conn:
                rows = conn.execute(
                    "SELECT key, size, http_metadata, custom_metadata FROM _mf_objects"
                ).fetchall()
            for key, size, http, custom in rows:
                found[key] = {
                    "size": size,
                    "http_metadata": json.loads(http),
                    "custom_metadata": json.loads(custom),
                }
        return found

    def stop(self) -> None:
        """End wrangler and workerd (the whole process group) and wait for them."""
        self._end_process()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            # Stop wrangler first so it can stop and reap workerd (a workerd orphaned by a
            # group kill stays a zombie until init reaps it); then clear the group regardless.
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(STOP_TIMEOUT_S)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def __enter__(self) -> LocalWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
