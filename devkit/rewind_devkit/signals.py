"""Commands that start the Worker stop it on every way they can be stopped.

`wrangler dev` runs in a session of its own (so a test can end its whole process group), so
nothing stops it when the command that started it dies without running its cleanup. A command
calls `stop_on_signals()` first: SIGTERM and SIGHUP then raise KeyboardInterrupt like Ctrl-C,
and SIGINT does too even in a background job (which starts with SIGINT ignored), so the
command's `finally` blocks stop the worker.
"""

from __future__ import annotations

import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Once: a second signal while cleaning up must not interrupt the cleanup.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def stop_on_signals() -> None:
    """Make SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _interrupt)
