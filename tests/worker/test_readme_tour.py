"""The README's tour, run as written against `make dev UPSTREAMS=fake` (so it cannot rot), and
the README's shape: a README, not a reference (at most 12,000 bytes, every relative link
resolving)."""

from __future__ import annotations

import json
import re
import subprocess

from rewind_devkit.local_worker import ROOT
from tests.support.commands import DevServer

README = ROOT / "README.md"
MAX_README_BYTES = 12_000
FENCE = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def tour_block() -> str:
    return next(block for block in FENCE.findall(README.read_text()) if "KEY=rw_live_" in block)


def test_the_readme_tour_answers_offline(dev_server: DevServer) -> None:
    dev = dev_server.running()
    key = re.search(r"Read key: (\S+)", dev.output())
    assert key is not None, dev.output()
    script = tour_block()
    script = re.sub(r"^KEY=\S+", f"KEY={key[1]}", script, flags=re.MULTILINE)
    script = re.sub(r"^BASE=\S+", f"BASE={dev.base_url}", script, flags=re.MULTILINE)
    # Each curl's answer after a marker line, so they can be told apart.
    script = script.replace("\ncurl ", "\necho '=====' ; curl ")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    miss, single, batch = done.stdout.split("=====\n")[1:]
    assert miss.startswith("HTTP/1.1 302"), miss
    assert "x-thumbhash:" in miss.lower()
    attachment = json.loads(single)["data"]
    assert attachment["placeholder"].startswith("data:image/png;base64,")
    statuses = [item["status"] for item in json.loads(batch)["data"]]
    # The movie is queued (or already resolved, when another test of the process asked first).
    assert statuses[0] == "ready"
    assert statuses[1] in ("pending", "ready")


def test_the_readme_is_a_readme() -> None:
    text = README.read_text()
    assert len(text.encode()) <= MAX_README_BYTES
    for document in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for link in re.findall(r"\]\(([^)#\s]+)", document.read_text()):
            if not link.startswith(("http://", "https://")):
                assert (document.parent / link).exists(), (document.name, link)
