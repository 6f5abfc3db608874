"""docs/admin.md, run as written against `make dev UPSTREAMS=fake`, so the tour cannot rot.

Every ```sh block of the page runs in order in one working directory (with `.venv` and
`scripts` linked in, as in a checkout), with the variables of its setup block (BASE, FAKE, KEY,
ADMIN) set to this run's: the admin key made by the page's own `make key` line. A ```shell
block is not run; a line `NAME=value  # the "field" of the answer above` in one sets NAME from
the last answer. The block after a command, when it is ```json, ```http or ```text, is the
answer the page shows, and must be what came back: JSON alike (values that differ on every run
are only required to be there, see VARYING), an HTTP status line and the headers shown, or the
lines shown, in order, among the command's output. An answer that is an error envelope fails
the tour anywhere.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewind_devkit.local_worker import ROOT
from tests.support.commands import Command, DevServer, outside_make

DOC = ROOT / "docs" / "admin.md"
COMMAND_TIMEOUT_S = 120
FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
ASSIGNMENT = re.compile(
    r'^(?P<name>[A-Z_]+)=(?P<value>\S*)(?:\s+#.*?"(?P<field>\w+)" of the answer above)?'
)
SETUP_VARIABLES = ("BASE", "FAKE", "KEY", "ADMIN")
# Values that differ on every run (random keys, times, usage counts) or with the fake's pictures
# (hashes and colours): only required to be there.
VARYING = frozenset(
    {
        "key",
        "key_prefix",
        "key_hint",
        "created_at",
        "last_used_at",
        "request_count",
        "thumbhash",
        "dominant_color",
        "accent_color",
        "x-thumbhash",
        "x-dominant-color",
        "x-accent-color",
    }
)


@dataclass(frozen=True)
class Block:
    """A fenced block of the page."""

    kind: str
    text: str
    line: int


def page_blocks() -> list[Block]:
    text = DOC.read_text()
    return [
        Block(match[1], match[2], text.count("\n", 0, match.start()) + 1)
        for match in FENCE.finditer(text)
    ]


def mismatches(shown: Any, actual: Any, where: str = "") -> list[str]:
    """How `actual` differs from the answer the page shows."""
    if isinstance(shown, dict) and isinstance(actual, dict):
        if set(shown) != set(actual):
            return [f"{where or 'answer'}: fields {sorted(actual)}, the page shows {sorted(shown)}"]
        found = []
        for name, value in shown.items():
            if name in VARYING:
                if (value is None) != (actual[name] is None):
                    found.append(f"{where}.{name}: {actual[name]!r}, the page shows {value!r}")
                continue
            found += mismatches(value, actual[name], f"{where}.{name}")
        return found
    if isinstance(shown, list) and isinstance(actual, list) and len(shown) == len(actual):
        return [
            m
            for i, (s, a) in enumerate(zip(shown, actual, strict=True))
            for m in mismatches(s, a, f"{where}[{i}]")
        ]
    return [] if shown == actual else [f"{where or 'answer'}: {actual!r}, the page shows {shown!r}"]


def http_mismatches(shown: str, actual: str) -> list[str]:
    """The status line's code and each header shown (values too, unless VARYING)."""
    head = actual.replace("\r\n", "\n").split("\n\n", 1)[0].splitlines()
    shown_lines = shown.strip().splitlines()
    found = []
    if head[0].split()[1] != shown_lines[0].split()[1]:
        found.append(f"status line {head[0]!r}, the page shows {shown_lines[0]!r}")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    for line in shown_lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name not in headers:
            found.append(f"no {name} header")
        elif name not in VARYING and headers[name] != value.strip():
            found.append(f"{name}: {headers[name]!r}, the page shows {value.strip()!r}")
    return found


def text_mismatches(shown: str, actual: str) -> list[str]:
    """Each line shown, in order, among the output's lines (progress bars redraw with \\r)."""
    lines = [line.strip() for line in re.split(r"[\r\n]+", actual)]
    position = 0
    for wanted in shown.strip().splitlines():
        try:
            position = lines.index(wanted.strip(), position) + 1
        except ValueError:
            return [f"no line {wanted.strip()!r} (after the ones before it)"]
    return []


def error_envelope(output: str) -> bool:
    try:
        answer = json.loads(output)
    except ValueError:
        return False
    return isinstance(answer, dict) and isinstance(answer.get("status"), int) and "error" in answer


class Tour:
    """Runs the page's blocks one after the other."""

    def __init__(self, dev: Command, workdir: Path) -> None:
        self.dev = dev
        self.workdir = workdir
        for name in (".venv", "scripts"):
            (workdir / name).symlink_to(ROOT / name)
        self.env = outside_make()
        self.page_values: dict[str, str] = {}  # what the page shows for each variable
        self.output = ""
        self.answer: Any = None

    def setup(self, block: Block, key: str, fake: str) -> None:
        """Take the page's values of the setup block; set this run's."""
        admin = self.run_line("make key", block)
        values = {"BASE": self.dev.base_url, "FAKE": fake, "KEY": key, "ADMIN": admin}
        for line in block.text.splitlines():
            match = ASSIGNMENT.match(line.strip())
            if match and match["name"] in values:
                self.page_values[match["name"]] = match["value"]
                self.env[match["name"]] = values[match["name"]]
        assert set(self.page_values) == set(SETUP_VARIABLES), (block.line, self.page_values)

    def run_line(self, start: str, block: Block) -> str:
        """Run the setup block's `make key ...` line (with the state of this `make dev`)."""
        line = next(line for line in block.text.splitlines() if line.startswith(start))
        command = line.split("#", 1)[0].strip()
        state = self.dev.argv[-1]  # STATE=... of the make dev command
        result = subprocess.run(
            [*command.split(), state],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout.strip().rsplit(" ", 1)[1]

    def assign(self, block: Block) -> None:
        """`NAME=value  # the "field" of the answer above` lines set NAME from the answer."""
        for line in block.text.splitlines():
            match = ASSIGNMENT.match(line.strip())
            if match and match["field"]:
                assert isinstance(self.answer, dict), (block.line, self.output)
                self.env[match["name"]] = str(self.answer[match["field"]])
                self.page_values[match["name"]] = match["value"]

    def run(self, block: Block) -> None:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.text],
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # as a terminal shows both
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        output = result.stdout
        for name, value in self.page_values.items():
            output = output.replace(self.env[name], value)
        assert result.returncode == 0, (f"docs/admin.md line {block.line}", block.text, output)
        assert not error_envelope(output), (f"docs/admin.md line {block.line}", block.text, output)
        self.output = output
        try:
            self.answer = json.loads(output)
        except ValueError:
            self.answer = None

    def check(self, command: Block, shown: Block) -> None:
        if shown.kind == "json":
            assert self.answer is not None, (command.text, self.output)
            found = mismatches(json.loads(shown.text), self.answer)
        elif shown.kind == "http":
            found = http_mismatches(shown.text, self.output)
        else:
            found = text_mismatches(shown.text, self.output)
        assert not found, (f"docs/admin.md line {shown.line}", command.text, found, self.output)


def test_every_command_of_the_admin_tour_answers_as_the_page_shows(
    dev_server: DevServer, tmp_path: Path
) -> None:
    dev = dev_server.running()
    banner = dev.output()
    key = re.search(r"Read key: (\S+)", banner)
    fake = re.search(r"local fake of every source on (\S+)", banner)
    assert key is not None, banner
    assert fake is not None, banner
    blocks = page_blocks()
    setup = next(b for b in blocks if b.kind == "shell" and "ADMIN=" in b.text)
    tour = Tour(dev, tmp_path)
    tour.setup(setup, key[1], fake[1])
    commands = 0
    previous: Block | None = None
    for block in blocks:
        if block.kind == "sh":
            tour.run(block)
            commands += 1
        elif block.kind == "shell":
            tour.assign(block)
        elif block.kind in ("json", "http", "text") and previous and previous.kind == "sh":
            tour.check(previous, block)
        previous = block
    assert commands >= 15  # every admin route, and the backfill command in both modes
