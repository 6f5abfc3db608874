"""CPU time of the processes behind a LocalWorker, read from /proc.

`wrangler dev` runs two workerd processes in its process group: a proxy listening on the public
port (`--socket-addr=entry=127.0.0.1:<port>`) and the one that runs the Worker; its Node process
also runs the local Images binding. Benchmarks read utime + stime (/proc/<pid>/stat) of these
before and after a run.
"""

from __future__ import annotations

import os
from pathlib import Path

from rewind_devkit.local_worker import LocalWorker

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def _group_commands(group: int) -> list[tuple[int, list[bytes]]]:
    """(pid, argv) of every process in a process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat_fields(int(entry.name))[2]) != group:
                continue
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if command and command[0]:
            found.append((int(entry.name), command))
    return found


def _group_of(worker: LocalWorker) -> int:
    group = worker.process_group
    if group is None:
        raise RuntimeError("the worker is not running")
    return group


def workerd_processes(group: int, public_port: int) -> tuple[int, int]:
    """(the workerd that runs the Worker, the proxy workerd on the public port) in a process
    group."""
    worker, proxy = None, None
    for pid, command in _group_commands(group):
        if not command[0].endswith(b"workerd"):
            continue
        if f"--socket-addr=entry=127.0.0.1:{public_port}".encode() in command:
            proxy = pid
        else:
            worker = pid
    if worker is None or proxy is None:
        raise RuntimeError(f"workerd processes not found in group {group}")
    return worker, proxy


def worker_pids(worker: LocalWorker) -> tuple[int, int]:
    """(the workerd that runs the Worker, the proxy workerd) of a started LocalWorker."""
    return workerd_processes(_group_of(worker), worker.port)


def wrangler_pid(worker: LocalWorker) -> int:
    """The Node process of a started LocalWorker's `wrangler dev`, which also runs the local
    Images binding (sharp)."""
    group = _group_of(worker)
    for pid, command in _group_commands(group):
        # (`node_modules/.bin/wrangler` is a launcher; the CLI itself runs in a child Node.)
        if command[0].endswith(b"node") and any(
            arg.endswith(b"wrangler-dist/cli.js") for arg in command
        ):
            return pid
    raise RuntimeError(f"wrangler's node process not found in group {group}")


def started_at(pid: int) -> float:
    """When a process started, in seconds of CLOCK_BOOTTIME (the clock of /proc's start time)."""
    return int(_stat_fields(pid)[19]) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
