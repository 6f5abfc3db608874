"""wrangler.toml's queues and budgets match what the code expects, and stay production-clean."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rewind_images.config import (
    BUDGETS,
    DEAD_LETTER_QUEUE_NAME,
    MISS_BUDGET,
    RESOLVE_QUEUE_NAME,
    Settings,
)

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


def test_every_budget_is_declared_with_the_same_numbers() -> None:
    declared = {
        r["name"]: (r["simple"]["limit"], r["simple"]["period"]) for r in CONFIG["ratelimits"]
    }
    assert declared == {b.binding: (b.limit, b.period_s) for b in BUDGETS.values()}
    namespaces = [r["namespace_id"] for r in CONFIG["ratelimits"]]
    assert len(set(namespaces)) == len(namespaces)
    assert all(b.period_s in (10, 60) for b in BUDGETS.values())  # the binding's periods
    # The misses budget's setting defaults to its declared limit.
    assert Settings().miss_limit_per_minute == BUDGETS[MISS_BUDGET].limit


def test_budget_limits_are_read_and_checked() -> None:
    settings = Settings.from_env({"BUDGET_LIMITS": '{"itunes": 5}', "MISS_LIMIT_PER_MINUTE": "7"})
    assert settings.budget_limit("itunes") == 5
    assert settings.budget_limit("deezer") == BUDGETS["deezer"].limit
    assert settings.budget_limit(MISS_BUDGET) == 7
    for bad in ('{"nope": 5}', '{"itunes": 0}', '["itunes"]', '{"itunes": "5"}'):
        with pytest.raises(ValueError, match="BUDGET_LIMITS"):
            Settings.from_env({"BUDGET_LIMITS": bad})
