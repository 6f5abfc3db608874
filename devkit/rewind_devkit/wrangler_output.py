"""What `make dev` shows of wrangler's output: the requests, and the Worker's own lines.

`wrangler dev` also prints its banner, its binding and module tables (again on every reload),
`⎔` status notices, the failed telemetry lookups of a machine offline (`Error: getaddrinfo
ENOTFOUND workers.cloudflare.com` with a Node stack), and, for every outbound fetch that fails,
workerd's own `✘ [ERROR] e = ...` block with a native stack, which the Worker reports itself
in one line (`sources failed for ...`). The dev command writes everything to a file and shows
on the terminal only what `TerminalFilter.feed` keeps.
"""

from __future__ import annotations

import re

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# "[wrangler:info] GET /v1/health 200 OK (12ms)" and "[wrangler:info] QUEUE name 2/2 (148ms)"
WRANGLER_PREFIX = re.compile(r"^\[wrangler:(?P<level>\w+)\] ?(?P<text>.*)$")
REQUEST = re.compile(r"^(?P<method>[A-Z]+) (?P<path>\S+) ")
# Lines of wrangler's own chrome: banner, tables, status notices, the log file's name.
NOISE_PREFIXES = (
    "⛅️",
    "─",
    "⎔",
    "🪵",
    "Your Worker has access to the following bindings",
    "Binding ",
    "env.",
    "Attaching additional modules",
    "Ready on ",
    "Unable to fetch the `Request.cf` object",
)
TABLE_CHARACTERS = frozenset("┌│├└┬┴┼┐┤┘")
# workerd's report of an internal exception behind a failed fetch ("e = rust/worker/ffi.rs:104:
# failed: failed to lookup address information ..."), and Node's error for the telemetry lookup.
WORKERD_INTERNAL = re.compile(r"^✘ \[ERROR\] e = ")
NODE_ERROR = re.compile(r"^Error: getaddrinfo ")


def plain(line: str) -> str:
    """A line without colour codes or trailing whitespace."""
    return ANSI_ESCAPE.sub("", line).rstrip()


class TerminalFilter:
    """Feed wrangler's output line by line; keeps what a developer wants to see.

    Kept: each request as one line (`GET /path 302 Found (12ms)`), other wrangler messages,
    and every line the Worker prints. Dropped: wrangler's chrome (above), blank lines, and the
    internal-error blocks (their first line and the indented or blank lines after it).
    `hidden_paths`: request paths not shown (the dev command's readiness probe).
    """

    def __init__(self, hidden_paths: frozenset[str] = frozenset()) -> None:
        self.hidden_paths = hidden_paths
        self._in_block = False

    def feed(self, raw: str) -> str | None:
        """The line to show for one line of output, or None."""
        line = plain(raw)
        if self._in_block:
            if not line or line[0].isspace():
                return None
            self._in_block = False
        if not line.strip():
            return None
        if WORKERD_INTERNAL.match(line) or NODE_ERROR.match(line):
            self._in_block = True
            return None
        if line[0] in TABLE_CHARACTERS:
            return None
        text = line
        wrangler = WRANGLER_PREFIX.match(line)
        if wrangler is not None:
            text = wrangler["text"]
            request = REQUEST.match(text)
            if request is not None and request["path"] in self.hidden_paths:
                return None
        if text.lstrip().startswith(NOISE_PREFIXES):
            return None
        if wrangler is not None and wrangler["level"] not in ("info", "log"):
            return f"{wrangler['level']}: {text}"
        return text
