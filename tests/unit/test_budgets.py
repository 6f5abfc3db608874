"""Budgets: counted per isolate where no binding counts them, per period and key; every
source's request names the budget it spends, article pages per site."""

from __future__ import annotations

import asyncio
from typing import Any

from rewind_images import budgets
from rewind_images.config import BUDGETS, MISS_BUDGET, Settings
from rewind_images.context import Context
from rewind_images.sources import SOURCES_BY_KIND
from rewind_images.sources.base import SourceQuery
from rewind_images.sources.og_image import OG_IMAGE
from tests.support.helpers import ManualClock


class Shared:
    """A SharedBudgets double: answers what it is told, records what it was asked."""

    def __init__(self, answer: bool | None) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str, int]] = []

    async def spend(self, name: str, key: str, limit: int) -> bool | None:
        self.asked.append((name, key, limit))
        return self.answer


def context(settings: Settings, shared: Any = None) -> Context:
    unused: Any = None
    return Context(settings, unused, unused, unused, unused, unused, lambda _: None, budgets=shared)


def test_an_isolate_counts_per_key_and_period() -> None:
    ctx = context(Settings(budget_limits=(("itunes", 2),)))
    clock = ManualClock(ctx)

    def spend(key: str) -> bool:
        return asyncio.run(budgets.spend(ctx, "itunes", key))

    assert [spend("all"), spend("all"), spend("all")] == [True, True, False]
    assert spend("other")  # another key has its own
    clock.advance(BUDGETS["itunes"].period_s)
    assert spend("all")
    assert budgets.retry_after_s(ctx, "itunes") == BUDGETS["itunes"].period_s


def test_an_isolate_count_lasts_exactly_the_budgets_period_aligned_to_the_clock() -> None:
    ctx = context(Settings(budget_limits=(("deezer", 1),)))
    clock = ManualClock(ctx)  # at the start of a period
    period_ms = BUDGETS["deezer"].period_s * 1000

    def spend() -> bool:
        return asyncio.run(budgets.spend(ctx, "deezer", "all"))

    assert spend()
    clock.now += period_ms - 1  # the period's last millisecond
    assert not spend()
    assert budgets.retry_after_s(ctx, "deezer") == 1
    clock.now += 1
    assert spend()
    clock.now += period_ms - 1001
    assert budgets.retry_after_s(ctx, "deezer") == 2  # 1.001 s left, rounded up


def test_a_shared_count_wins_and_none_falls_back_to_the_isolate() -> None:
    refusing = Shared(False)
    ctx = context(Settings(miss_limit_per_minute=7), refusing)
    assert asyncio.run(budgets.spend(ctx, MISS_BUDGET, "key:1")) is False
    assert refusing.asked == [(MISS_BUDGET, "key:1", 7)]
    absent = Shared(None)
    ctx = context(Settings(miss_limit_per_minute=1), absent)
    assert [asyncio.run(budgets.spend(ctx, MISS_BUDGET, "k")) for _ in range(2)] == [True, False]


def test_article_pages_are_budgeted_per_site() -> None:
    settings = Settings()

    def page(url: str) -> tuple[str, str]:
        query = SourceQuery("reading", "articles", "a", article_url=url)
        request = OG_IMAGE.request(query, settings)
        assert request is not None
        return request.budget, request.budget_key

    assert page("https://Example.com/a") == ("article_pages", "example.com")
    assert page("https://news.example.org/b?c=d") == ("article_pages", "news.example.org")


def test_every_source_names_a_budget() -> None:
    settings = Settings(apple_music_token="t", tmdb_read_token="t", fanart_api_key="t")
    hints = {
        "artist_name": "A",
        "album_name": "B",
        "mbid": "056e4f3e-d505-4dad-8ec1-d04f521cbb56",
        "tmdb_id": "603",
        "article_url": "https://example.com/a",
    }
    named = set()
    for (domain, entity_type), sources in SOURCES_BY_KIND.items():
        for source in sources:
            request = source.request(SourceQuery(domain, entity_type, "x", **hints), settings)
            assert request is not None, source.name
            assert request.budget in BUDGETS
            named.add(request.budget)
    assert named == set(BUDGETS) - {"misses"}
