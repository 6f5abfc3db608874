"""A miss against real page shapes: plain-http links upgraded under the production guard, a
candidate that cannot be analysed falls back to the next, and the work of one miss is bounded
(candidates per source, downloads, one deadline)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from rewind_devkit.fake_upstream import FakeUpstream
from rewind_images.config import MAX_CANDIDATES_PER_SOURCE
from tests.conftest import TEST_FETCH_TIMEOUT_MS
from tests.support.app_client import InProcessApp
from tests.support.helpers import add_key, bearer, row, unique

ALIAS = "news.example"


def article(page_url: str) -> str:
    return (
        f"/v1/images/reading/articles/{unique('a')}/medium?{urlencode({'article_url': page_url})}"
    )


@pytest.fixture
def production(service_env: dict[str, str], upstream: FakeUpstream) -> Iterator[InProcessApp]:
    """The service with the production URL guard (https only, DNS names only), and a public name
    that resolves to the fake upstream."""
    instance = InProcessApp({**service_env, "ALLOW_INSECURE_SOURCES": "false"})
    instance.transport.aliases[ALIAS] = urlsplit(upstream.base_url).netloc
    try:
        yield instance
    finally:
        instance.close()


def test_an_http_article_link_resolves_through_https(
    production: InProcessApp, upstream: FakeUpstream
) -> None:
    token = add_key(production)
    upstream.reset()
    with production.client() as client:
        # The page links its images over plain http too; both are upgraded before the guard.
        response = client.get(article(f"http://{ALIAS}/pages/og-basic"), headers=bearer(token))
    assert response.status_code == 302, response.text
    entity = urlsplit(str(response.request.url)).path.split("/")[5]
    stored = row(production, "reading", "articles", entity)
    assert stored is not None
    assert stored["source_url"] == f"https://{ALIAS}/img/article-hero/hero.png?w=1200&h=630"
    assert [r.path for r in upstream.requests][:1] == ["/pages/og-basic"]


def test_a_candidate_that_cannot_be_analysed_falls_back_to_the_next(
    service: InProcessApp, client: httpx.Client, upstream: FakeUpstream
) -> None:
    token = add_key(service)
    response = client.get(article(upstream.url("/pages/truncated-first")), headers=bearer(token))
    assert response.status_code == 302, response.text
    entity = urlsplit(str(response.request.url)).path.split("/")[5]
    stored = row(service, "reading", "articles", entity)
    assert stored is not None
    assert "/img/article-fallback/" in str(stored["source_url"])


def test_a_page_with_hundreds_of_images_costs_a_bounded_number_of_downloads(
    service: InProcessApp, client: httpx.Client, upstream: FakeUpstream
) -> None:
    token = add_key(service)
    upstream.reset()
    response = client.get(article(upstream.url("/pages/many-images")), headers=bearer(token))
    assert response.status_code == 502
    assert upstream.count("/img/fault-http-404/") == MAX_CANDIDATES_PER_SOURCE


@pytest.mark.slow
def test_slow_candidates_stop_at_the_miss_deadline(
    service_env: dict[str, str], upstream: FakeUpstream
) -> None:
    # Each candidate times out after FETCH_TIMEOUT_MS; the deadline, 1.5 times that, cuts the
    # second.
    deadline_ms = int(TEST_FETCH_TIMEOUT_MS) * 3 // 2
    service = InProcessApp({**service_env, "MISS_DEADLINE_MS": str(deadline_ms)})
    try:
        token = add_key(service)
        upstream.reset()
        with service.client() as client:
            response = client.get(
                article(upstream.url("/pages/slow-images")), headers=bearer(token)
            )
        assert response.status_code == 502
        assert response.json() == {"error": "Image sources failed; try again later", "status": 502}
        assert upstream.count("/img/fault-timeout/") == 2  # five without the deadline
    finally:
        service.close()
