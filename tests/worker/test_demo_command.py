"""`make demo`: it shows misses becoming 302s then hits, serves every Location it prints through
the local CDN and a placeholder page that a real browser renders as it should, and stops
everything it started however it is stopped.

The demo runs once for this module (started as a shell would start a background job); the last
test stops it with SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.async_api import Route, async_playwright

from rewind_devkit.local_worker import ROOT, free_port
from rewind_devkit.tls import shared_tls_context

DEMO_TIMEOUT_S = 300
STOP_TIMEOUT_S = 30
PAGE_TIMEOUT_MS = 90_000
SCREENSHOT = (
    Path(os.environ.get("DEMO_SCREENSHOT", "")) if os.environ.get("DEMO_SCREENSHOT") else None
)
# Headless Chromium as root on a closed network (see the machine notes): no sandbox, no GPU, no
# background connections.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)  # poll interval of the condition, not a stand-in for it
    return condition()


def _session_of(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except ProcessLookupError:
        return None


def _processes_in_sessions(sessions: set[int]) -> list[str]:
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


def _port_free(port: int) -> bool:
    """Whether a new server could listen there (closed connections may linger in TIME_WAIT,
    which SO_REUSEADDR allows, as servers set it; a listener still there does not)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Demo:
    """A running `make demo`."""

    make: subprocess.Popen[bytes]
    port: int
    log_path: Path
    sessions: set[int] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("demo") / "demo.log"

    def as_background_job() -> None:
        # A shell starts a background job with SIGINT ignored; start `make demo` like that.
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    with log_path.open("wb") as log:
        make = subprocess.Popen(
            ["make", "demo", f"PORT={port}"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, as a job of a shell would be
            preexec_fn=as_background_job,
        )
    running = Demo(make, port, log_path, {make.pid})
    try:
        assert _wait_until(
            lambda: "Try it yourself" in running.output() or make.poll() is not None,
            DEMO_TIMEOUT_S,
        ), running.output()
        # The demo's Worker runs in a session of its own: note it, to check it stops too.
        wrangler = subprocess.run(
            ["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True, check=False
        )
        pids = [int(p) for p in wrangler.stdout.split()]
        running.sessions |= {s for s in map(_session_of, pids) if s is not None}
        yield running
    finally:
        for session in running.sessions:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(session, signal.SIGKILL)
        make.wait(STOP_TIMEOUT_S)


def test_make_demo_shows_misses_then_hits_and_its_locations_serve_the_variants(
    demo: Demo,
) -> None:
    output = demo.output()
    lines = [line for line in output.splitlines() if line.startswith("GET ")]
    assert len(lines) == 6, output
    assert all("->  302" in line for line in lines)
    assert "x-thumbhash:" in output
    assert f"The placeholder page: {demo.base_url}/demo" in output
    # Every Location it prints can be followed: the local CDN serves the variant's bytes.
    locations = [
        line.split("location: ", 1)[1] for line in output.splitlines() if "location: " in line
    ]
    assert len(locations) == 6
    for location in locations:
        variant = httpx.get(location, timeout=60, verify=shared_tls_context())
        assert variant.status_code == 200, (location, variant.text)
        assert Image.open(io.BytesIO(variant.content)).size == (300, 300)


TILE_RECTS = (
    "[...document.querySelectorAll('.tile')].map(t => JSON.stringify(t.getBoundingClientRect()))"
)
PLACEHOLDERS_PAINTED = """() => {
  const tiles = [...document.querySelectorAll('.tile')];
  return tiles.length > 0 && tiles.every(t => {
    const p = t.querySelector('img.placeholder');
    return p && p.complete && p.naturalWidth > 0 && p.src.startsWith('data:image/png;base64,');
  });
}"""
ALL_LOADED = "() => [...document.querySelectorAll('.tile')].every(t => t.dataset.loaded === 'true')"
# Layout shifts the page has had (the Layout Instability API), summed like CLS.
WATCH_SHIFTS = """
window.__shift = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) window.__shift += entry.value;
}).observe({ type: 'layout-shift', buffered: true });
"""
IMAGES = """[...document.querySelectorAll('.tile img.image')].map(i => ({
  natural: [i.naturalWidth, i.naturalHeight], declared: [i.width, i.height],
  tile: [i.parentElement.clientWidth, i.parentElement.clientHeight],
  opacity: getComputedStyle(i).opacity, src: i.src }))"""


async def _browse(url: str, screenshot: Path | None) -> dict[str, object]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            release = asyncio.Event()

            async def slow_image(route: Route) -> None:
                await release.wait()  # the images arrive only after the placeholders are checked
                await route.continue_()

            await page.route("**/cdn-cgi/image/**", slow_image)
            await page.add_init_script(WATCH_SHIFTS)
            await page.goto(url)
            # Pending tiles poll until the queue has resolved them; then each has a placeholder.
            await page.wait_for_function(PLACEHOLDERS_PAINTED, timeout=PAGE_TIMEOUT_MS)
            before = {
                "loaded": await page.evaluate(
                    "document.querySelectorAll('.tile[data-loaded]').length"
                ),
                "rects": await page.evaluate(TILE_RECTS),
                "tiles": await page.evaluate("document.querySelectorAll('.tile').length"),
            }
            release.set()
            await page.wait_for_function(ALL_LOADED, timeout=PAGE_TIMEOUT_MS)
            await page.wait_for_timeout(500)  # the fade's own length, for the screenshot
            after = {
                "rects": await page.evaluate(TILE_RECTS),
                "images": await page.evaluate(IMAGES),
                "shift": await page.evaluate("window.__shift"),
            }
            if screenshot is not None:
                await page.screenshot(path=str(screenshot), full_page=True)
            return {"before": before, "after": after, "problems": problems}
        finally:
            await browser.close()


def test_the_placeholder_page_paints_placeholders_first_then_images_without_shifting(
    demo: Demo,
) -> None:
    seen = asyncio.run(_browse(f"{demo.base_url}/demo", SCREENSHOT))
    before, after = seen["before"], seen["after"]
    assert isinstance(before, dict)
    assert isinstance(after, dict)
    assert before["tiles"] == 9
    assert before["loaded"] == 0  # every placeholder was painted while no image had arrived
    assert after["rects"] == before["rects"]  # the images did not move the layout
    assert after["shift"] == 0
    images = after["images"]
    assert isinstance(images, list)
    assert len(images) == 9
    for image in images:
        # Each image ends at the natural size of its variant, which is its tile's size.
        assert image["natural"] == image["declared"] == image["tile"], image
        assert image["opacity"] == "1"
        assert "/cdn-cgi/image/" in image["src"]
    assert seen["problems"] == []


def test_sigterm_to_the_background_demo_stops_all_of_it(demo: Demo) -> None:
    assert len(demo.sessions) >= 2, "the demo's wrangler dev was not found"
    assert not _port_free(demo.port)
    os.killpg(demo.make.pid, signal.SIGTERM)  # how a process manager or `kill` stops a job
    assert _wait_until(lambda: not _processes_in_sessions(demo.sessions), STOP_TIMEOUT_S), (
        _processes_in_sessions(demo.sessions),
        demo.output(),
    )
    assert _port_free(demo.port)
