"""`make demo`: it shows misses becoming 302s then hits, serves every Location it prints through
the local CDN and a placeholder page that a real browser renders as it should, and stops
everything it started however it is stopped.

The demo runs once for this module (started as a shell would start a background job); the last
test stops it with SIGTERM."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.async_api import Route, async_playwright

from rewind_devkit.local_worker import free_port, port_free
from rewind_devkit.tls import shared_tls_context
from tests.support.commands import STOP_TIMEOUT_S, Command, wait_until

PAGE_TIMEOUT_MS = 90_000
# `DEMO_SCREENSHOT=docs/demo-page.png` saves the page as the README shows it: half of the images
# in, the other half still their placeholders.
SCREENSHOT = (
    Path(os.environ.get("DEMO_SCREENSHOT", "")) if os.environ.get("DEMO_SCREENSHOT") else None
)
VIEWPORT = {"width": 1280, "height": 900}
# The tiles span at least this share of the grid's width (the page fills its width).
FILLED_SHARE = 0.85
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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Command]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("demo") / "demo.log"
    running = Command(["make", "demo", f"PORT={port}"], port, log_path)
    # Started as a shell starts a background job (SIGINT ignored), in a process group of its own.
    running.start("Try it yourself", as_background_job=True)
    try:
        yield running
    finally:
        running.kill()


def test_make_demo_shows_misses_then_hits_and_its_locations_serve_the_variants(
    demo: Command,
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
FIRST_WAVE_SOURCES = """[...document.querySelectorAll('.tile')].filter((t, i) => i % 2 === 0)
  .map(t => t.querySelector('img.image').src)"""
# Loaded, and faded in (the image's opacity reaches 1 when its transition ends).
FIRST_WAVE_SHOWN = """() => [...document.querySelectorAll('.tile')].filter((t, i) => i % 2 === 0)
  .every(t => t.dataset.loaded === 'true'
    && getComputedStyle(t.querySelector('img.image')).opacity === '1')"""
ALL_SHOWN = """() => [...document.querySelectorAll('.tile img.image')]
  .every(i => getComputedStyle(i).opacity === '1')"""
LOADED_INDEXES = """[...document.querySelectorAll('.tile')].map((t, i) => [t, i])
  .filter(([t]) => t.dataset.loaded === 'true').map(([, i]) => i)"""
STATUS_LABELS = "[...document.querySelectorAll('.tile .status')].map(s => s.textContent)"
LEGEND = """({
  dominant: getComputedStyle(document.getElementById('legend-dominant')).backgroundColor,
  accent: getComputedStyle(document.getElementById('legend-accent')).backgroundColor,
  placeholder: document.querySelector('#legend-placeholder img').src })"""
GRID_RECT = "JSON.parse(JSON.stringify(document.getElementById('grid').getBoundingClientRect()))"
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
            page = await browser.new_page(viewport=VIEWPORT)
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            released: set[str] = set()
            every_image = asyncio.Event()
            changed = asyncio.Condition()

            async def slow_image(route: Route) -> None:
                # The images arrive only once released: none until the placeholders are
                # checked, then every other tile's, then the rest.
                async with changed:
                    await changed.wait_for(
                        lambda: every_image.is_set() or route.request.url in released
                    )
                await route.continue_()

            async def release(urls: list[str] | None) -> None:
                async with changed:
                    if urls is None:
                        every_image.set()
                    else:
                        released.update(urls)
                    changed.notify_all()

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
                "labels": await page.evaluate(STATUS_LABELS),
                "legend": await page.evaluate(LEGEND),
            }
            await release(await page.evaluate(FIRST_WAVE_SOURCES))
            await page.wait_for_function(FIRST_WAVE_SHOWN, timeout=PAGE_TIMEOUT_MS)
            halfway = {"loaded": await page.evaluate(LOADED_INDEXES)}
            if screenshot is not None:
                await page.screenshot(path=str(screenshot), full_page=True)
            await release(None)
            await page.wait_for_function(ALL_LOADED, timeout=PAGE_TIMEOUT_MS)
            await page.wait_for_function(ALL_SHOWN, timeout=PAGE_TIMEOUT_MS)
            after = {
                "rects": await page.evaluate(TILE_RECTS),
                "images": await page.evaluate(IMAGES),
                "shift": await page.evaluate("window.__shift"),
                "grid": await page.evaluate(GRID_RECT),
            }
            return {"before": before, "halfway": halfway, "after": after, "problems": problems}
        finally:
            await browser.close()


def test_the_placeholder_page_paints_placeholders_first_then_images_without_shifting(
    demo: Command,
) -> None:
    seen = asyncio.run(_browse(f"{demo.base_url}/demo", SCREENSHOT))
    before, halfway, after = seen["before"], seen["halfway"], seen["after"]
    assert isinstance(before, dict)
    assert isinstance(halfway, dict)
    assert isinstance(after, dict)
    assert before["tiles"] == 9
    assert before["loaded"] == 0  # every placeholder was painted while no image had arrived
    assert before["labels"] == ["placeholder"] * 9  # each tile says what it shows meanwhile
    # The legend shows the first tile's dominant colour, placeholder and accent colour.
    legend = before["legend"]
    assert isinstance(legend, dict)
    assert legend["placeholder"].startswith("data:image/png;base64,")
    assert legend["dominant"].startswith("rgb(")
    assert legend["accent"].startswith("rgb(")
    assert halfway["loaded"] == [0, 2, 4, 6, 8]  # the released images only
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
    # The grid fills the page's width: its tiles span most of it, not a left part.
    grid = after["grid"]
    assert isinstance(grid, dict)
    rects = [json.loads(rect) for rect in after["rects"]]
    span = max(r["right"] for r in rects) - min(r["left"] for r in rects)
    assert span >= FILLED_SHARE * grid["width"], (span, grid)
    assert seen["problems"] == []


def test_make_demo_prints_an_admin_key_that_works(demo: Command) -> None:
    admin = re.search(r"admin key: (rw_admin_\S+)", demo.output())
    assert admin is not None, demo.output()
    assert "make key SCOPE=admin STATE=.state-demo" in demo.output()
    keys = httpx.get(
        f"{demo.base_url}/v1/admin/keys",
        headers={"Authorization": f"Bearer {admin[1]}"},
        timeout=60,
        verify=shared_tls_context(),
    )
    assert keys.status_code == 200
    assert {key["scope"] for key in keys.json()["data"]} == {"read", "admin"}


def test_sigterm_to_the_background_demo_stops_all_of_it(demo: Command) -> None:
    assert len(demo.sessions) >= 2, "the demo's wrangler dev was not found"
    assert not port_free(demo.port)
    demo.signal(signal.SIGTERM)  # how a process manager or `kill` stops a job
    assert wait_until(lambda: not demo.left_running(), STOP_TIMEOUT_S), (
        demo.left_running(),
        demo.output(),
    )
    assert port_free(demo.port)
