"""Running the project's commands (`make dev`, `make demo`) as a terminal would, for the tests of
what they print and how they stop: each starts in a process group of its own (a terminal's
foreground job), its output goes to a file, and everything it started is found again (the
Worker's wrangler runs in a session of its own) so nothing outlives a test."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rewind_devkit.local_worker import ROOT, free_port

START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 30
# What `make dev` prints last before the first request (scripts/dev.py's banner).
DEV_READY = "Ctrl-C stops."


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Whether `condition` came true within the time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)  # poll interval of the condition, not a stand-in for it
    return condition()


def session_of(pid: int) -> int | None:
    """The session of a process (None once it is gone)."""
    try:
        return os.getsid(pid)
    except ProcessLookupError:
        return None


def processes_in_sessions(sessions: set[int]) -> list[str]:
    """Command lines of live (not zombie) processes in any of these sessions."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, ...
            state, sid = fields[0], int(fields[3])
            if sid in sessions and state != "Z":
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def outside_make() -> dict[str, str]:
    """The environment of a command typed in a shell (not a recipe of `make test`)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}


@dataclass
class Command:
    """A command started as a terminal's foreground job."""

    argv: Sequence[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=outside_make)
    process: subprocess.Popen[bytes] | None = None
    sessions: set[int] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready: str, as_background_job: bool = False) -> Command:
        """Start, and wait until the output shows `ready` (or the command ended)."""

        def background() -> None:
            # A shell starts a background job with SIGINT ignored.
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                list(self.argv),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, as a job of a shell would be
                preexec_fn=background if as_background_job else None,
                env=self.env,
            )
        self.sessions.add(self.process.pid)
        try:
            started = wait_until(
                lambda: ready in self.output() or not self.running, START_TIMEOUT_S
            )
            assert started, self.output()
            assert self.running, self.output()
            # The Worker's wrangler runs in a session of its own: note it, to stop it too.
            wrangler = subprocess.run(
                ["pgrep", "-f", "--", f"--port {self.port} "],
                capture_output=True,
                text=True,
                check=False,
            )
            pids = [int(p) for p in wrangler.stdout.split()]
            self.sessions |= {s for s in map(session_of, pids) if s is not None}
        except BaseException:
            self.kill()
            raise
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        """Everything the command printed so far."""
        return self.log_path.read_text(errors="replace")

    def lines(self) -> list[str]:
        return self.output().splitlines()

    def signal(self, sig: int) -> int:
        """Send `sig` to the command's process group (Ctrl-C: SIGINT, as a terminal does), and
        return its exit status (negative: the signal that ended it)."""
        assert self.process is not None
        os.killpg(self.process.pid, sig)
        return self.process.wait(STOP_TIMEOUT_S)

    def left_running(self) -> list[str]:
        """Processes of the command still alive."""
        return processes_in_sessions(self.sessions)

    def kill(self) -> None:
        """End everything the command started, however it is doing."""
        for session in self.sessions:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(session, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(STOP_TIMEOUT_S)


def make_dev(port: int, state: Path, log_path: Path, *, upstreams: str = "fake") -> Command:
    """`make dev UPSTREAMS=... PORT=... STATE=...` (not started)."""
    argv = ["make", "dev", f"UPSTREAMS={upstreams}", f"PORT={port}", f"STATE={state}"]
    return Command(argv, port, log_path)


def dev_script(port: int, state: Path, log_path: Path, *extra: str) -> Command:
    """What `make dev` runs, with more arguments for wrangler (not started)."""
    argv = [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "scripts" / "dev.py")]
    argv += ["--port", str(port), "--state", str(state), *extra]
    return Command(argv, port, log_path)


def startup_lines(command: Command) -> list[str]:
    """What `make dev` printed up to its banner's last line."""
    lines = command.lines()
    last = next(i for i, line in enumerate(lines) if DEV_READY in line)
    return lines[: last + 1]


def printed_curls(command: Command) -> list[str]:
    """The curl commands the banner prints (continuation lines joined)."""
    commands: list[str] = []
    pending = ""
    for line in startup_lines(command):
        text = line.strip()
        if pending or text.startswith("curl "):
            pending += text
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
            else:
                commands.append(pending)
                pending = ""
    return commands


class DevServer:
    """`make dev UPSTREAMS=fake` as a developer runs it (its own fake upstream, its own state),
    started on first use and again after a test stopped it (the Ctrl-C test)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._started = 0
        self._command: Command | None = None

    def running(self) -> Command:
        """The running `make dev`."""
        if self._command is None or not self._command.running:
            self.stop()
            self._started += 1
            state = self.folder / f"state-{self._started}"
            log = self.folder / f"make-dev-{self._started}.log"
            self._command = make_dev(free_port(), state, log).start(DEV_READY)
        return self._command

    def stop(self) -> None:
        """End it and all it started."""
        if self._command is not None:
            self._command.kill()
            self._command = None
