"""`make dev`, run as a developer runs it: a short start, then the key and example commands once
the Worker answers; with UPSTREAMS=fake the examples work offline; one line per request; with
the real upstreams unreachable, a miss adds a line or two, never a stack; a port already taken
gets a short message naming PORT=; Ctrl-C ends it quietly with the shell's status 130.

The last test stops the session's `make dev UPSTREAMS=fake` (tests/worker/conftest.py starts it
again for any later test)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from rewind_devkit.local_worker import ROOT, free_port, port_free
from tests.support.commands import (
    DEV_READY,
    STOP_TIMEOUT_S,
    Command,
    DevServer,
    dev_script,
    make_dev,
    outside_make,
    printed_curls,
    startup_lines,
    wait_until,
)

MAX_STARTUP_LINES = 40
MAX_LINES_PER_FAILED_MISS = 4
REQUEST_TIMEOUT_S = 60
# Every upstream the Worker knows, at a name that never resolves (RFC 6761): what the real
# upstreams are to a machine offline, on any machine.
UNREACHABLE = {
    name: f"https://{name.lower().replace('_', '-')}.invalid"
    for name in (
        "APPLE_MUSIC_API_URL",
        "DEEZER_API_URL",
        "ITUNES_API_URL",
        "TMDB_API_URL",
        "TMDB_IMAGE_URL",
        "FANART_API_URL",
        "COVER_ART_ARCHIVE_URL",
        "MUSICBRAINZ_API_URL",
    )
}
NOISE = re.compile(r"stack|✘|\[ERROR\]|^\s+at |Traceback|getaddrinfo|┌|│|env\.")


def run_curl(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=REQUEST_TIMEOUT_S
    )


def lines_after_banner(command: Command) -> list[str]:
    return command.lines()[len(startup_lines(command)) :]


def test_make_dev_with_the_fake_starts_in_a_few_lines_and_prints_the_key_once_ready(
    dev_server: DevServer,
) -> None:
    dev = dev_server.running()
    startup = startup_lines(dev)
    assert len(startup) <= MAX_STARTUP_LINES, "\n".join(startup)
    text = "\n".join(startup)
    assert not NOISE.search(text), text
    assert "local fake of every source" in text
    assert "need internet" not in text
    # The key and the examples come after the Worker started (scripts/dev.py prints them once it
    # answers), so they are the last thing on the screen before the first request.
    starting = next(i for i, line in enumerate(startup) if line.startswith("Starting the Worker"))
    key_line = next(i for i, line in enumerate(startup) if line.startswith("Read key: rw_live_"))
    assert starting < key_line
    assert startup[-1].endswith(DEV_READY)


def test_the_printed_curls_work_offline_and_each_request_shows_as_one_line(
    dev_server: DevServer,
) -> None:
    dev = dev_server.running()
    before = len(lines_after_banner(dev))
    curls = printed_curls(dev)
    assert len(curls) == 4, curls
    answers = {command: run_curl(command) for command in curls}
    for command, answer in answers.items():
        assert answer.returncode == 0, (command, answer.stderr)
    image = next(command for command in curls if command.startswith("curl -i "))
    status_line = answers[image].stdout.splitlines()[0]
    assert status_line.split()[1] == "302", answers[image].stdout
    as_json = next(command for command in curls if "format=json" in command)
    assert json.loads(answers[as_json].stdout)["data"]["cdn_url"].startswith(dev.base_url)
    # One line per request, nothing else (the miss above ran the whole pipeline). Lines of an
    # earlier test's requests to this server may still arrive: only ours are counted, and
    # every line must be a request's.
    paths = [_path_of(command) for command in curls]

    def ours() -> list[str]:
        return [line for line in lines_after_banner(dev)[before:] if _request_path(line) in paths]

    assert wait_until(lambda: len(ours()) >= len(paths), REQUEST_TIMEOUT_S)
    shown = lines_after_banner(dev)[before:]
    assert all(_request_path(line) is not None for line in shown), "\n".join(shown)
    assert sorted(_request_path(line) for line in ours()) == sorted(paths), "\n".join(shown)
    assert any(
        line.startswith("GET /v1/images/listening/albums/discovery/medium 302 Found")
        for line in shown
    ), shown


REQUEST_LINE = re.compile(r"^(?:GET|HEAD|POST|PUT|DELETE|OPTIONS) (/\S*) \d{3} ")


def _request_path(line: str) -> str | None:
    """The path of a request's log line (`GET /v1/health 200 OK (3ms)`), None for other lines."""
    found = REQUEST_LINE.match(line)
    return None if found is None else found.group(1)


def _path_of(command: str) -> str:
    """The path a printed curl asks for (no query)."""
    found = re.search(r"https?://[^/\s\"']+(/[^\s\"'?]*)", command)
    assert found is not None, command
    return found.group(1)


def test_a_second_make_dev_on_the_same_port_says_to_choose_another_port(
    dev_server: DevServer, tmp_path: Path
) -> None:
    taken = dev_server.running().port
    second = make_dev(taken, tmp_path / "state", tmp_path / "second.log")
    result = subprocess.run(
        list(second.argv),
        cwd=ROOT,
        env=outside_make(),
        capture_output=True,
        text=True,
        timeout=REQUEST_TIMEOUT_S,
        check=False,
    )
    output = (result.stdout + result.stderr).splitlines()
    assert result.returncode != 0
    assert any(f"port {taken} is already in use" in line and "PORT=" in line for line in output)
    assert len(output) <= 4, output  # setup's line, ours, make's error line
    assert not any("--port" in line or "Read key" in line for line in output), output


@pytest.fixture(scope="module")
def unreachable_upstreams(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Command]:
    """scripts/dev.py with the real upstreams (the default) at names that never resolve."""
    folder = tmp_path_factory.mktemp("dev-offline")
    extra = [arg for name, url in UNREACHABLE.items() for arg in ("--var", f"{name}:{url}")]
    dev = dev_script(free_port(), folder / "state", folder / "dev.log", *extra)
    dev.start(DEV_READY)
    try:
        yield dev
    finally:
        dev.kill()


def test_with_the_real_upstreams_unreachable_a_miss_adds_a_line_or_two_without_a_stack(
    unreachable_upstreams: Command,
) -> None:
    dev = unreachable_upstreams
    startup = startup_lines(dev)
    assert len(startup) <= MAX_STARTUP_LINES, "\n".join(startup)
    assert sum("a miss needs internet" in line for line in startup) == 1
    assert any("make dev UPSTREAMS=fake" in line for line in startup)
    before = len(lines_after_banner(dev))
    image = next(command for command in printed_curls(dev) if command.startswith("curl -i "))
    answer = run_curl(image)
    assert answer.stdout.splitlines()[0].split()[1] == "502", answer.stdout
    request_line = "GET /v1/images/listening/albums/discovery/medium 502"
    assert wait_until(
        lambda: any(request_line in line for line in lines_after_banner(dev)), REQUEST_TIMEOUT_S
    )
    shown = lines_after_banner(dev)[before:]
    assert len(shown) <= MAX_LINES_PER_FAILED_MISS, shown
    assert not any(NOISE.search(line) for line in shown), shown
    assert any(line.startswith("sources failed for listening/albums/discovery") for line in shown)
    # The whole story is in the log file the banner names.
    full_log = (dev.log_path.parent / "state" / f"wrangler-{dev.port}.log").read_text()
    assert "failed to lookup address information" in full_log


def test_ctrl_c_stops_the_script_alone_with_status_130(unreachable_upstreams: Command) -> None:
    dev = unreachable_upstreams
    assert dev.signal(signal.SIGINT) == 130  # outside make, the script's own status
    assert wait_until(lambda: not dev.left_running(), STOP_TIMEOUT_S), dev.left_running()
    assert port_free(dev.port)


def test_ctrl_c_ends_make_dev_quietly_with_status_130(dev_server: DevServer) -> None:
    dev = dev_server.running()
    before = len(dev.lines())
    # Ctrl-C in a terminal: SIGINT to the foreground job's whole process group. make then ends
    # by the signal, which a shell reports as status 130.
    assert dev.signal(signal.SIGINT) == -signal.SIGINT
    assert wait_until(lambda: not dev.left_running(), STOP_TIMEOUT_S), dev.left_running()
    assert port_free(dev.port)
    after = dev.lines()[before:]
    assert not any("make: ***" in line or "Error" in line or "Traceback" in line for line in after)
