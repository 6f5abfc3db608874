"""wrangler.toml's queues match what the code expects, and stay production-clean."""

from __future__ import annotations

import tomllib
from pathlib import Path

from rewind_images.config import DEAD_LETTER_QUEUE_NAME, RESOLVE_QUEUE_NAME, Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "wrangler.toml").read_text())


def test_the_worker_produces_and_consumes_the_resolve_queue_with_a_dead_letter_queue() -> None:
    queues = CONFIG["queues"]
    assert queues["producers"] == [{"binding": "RESOLVE_QUEUE", "queue": RESOLVE_QUEUE_NAME}]
    consumers = {c["queue"]: c for c in queues["consumers"]}
    assert set(consumers) == {RESOLVE_QUEUE_NAME, DEAD_LETTER_QUEUE_NAME}
    resolve = consumers[RESOLVE_QUEUE_NAME]
    assert resolve["dead_letter_queue"] == DEAD_LETTER_QUEUE_NAME
    assert resolve["max_retries"] >= 1
    assert 1 <= resolve["max_batch_size"] <= 100
    assert "dead_letter_queue" not in consumers[DEAD_LETTER_QUEUE_NAME]


def test_the_retry_delay_is_configured_and_the_config_stays_production_clean() -> None:
    settings = Settings.from_env(CONFIG["vars"])
    assert settings.queue_retry_delay_seconds == 60
    assert "python_workers_development" not in (ROOT / "wrangler.toml").read_text()
