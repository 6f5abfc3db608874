"""`search.ask` and `search.find` over a stub fetcher: stand-in art found on a page counts as
nothing (no failure, no download), as a source without an image."""

from __future__ import annotations

import asyncio
from typing import Any

from rewind_images.config import Settings
from rewind_images.context import Context
from rewind_images.images.inputs import ImageQuery
from rewind_images.images.resolution import search
from rewind_images.ports import FetchedBody
from rewind_images.sources import sources_for

# A Deezer album page's og:image when the album has no cover: the empty-MD5 cover URL.
EMPTY_COVER = (
    "https://e-cdns-images.dzcdn.net/images/cover/d41d8cd98f00b204e9800998ecf8427e/"
    "1000x1000-000000-80-0-0.jpg"
)
PAGE_URL = "https://www.deezer.com/en/album/1"


class PageFetcher:
    """Answers the article page; records every URL asked for."""

    def __init__(self, og_image: str) -> None:
        self.og_image = og_image
        self.asked: list[str] = []

    async def get(
        self, url: str, *, headers: dict[str, str], max_bytes: int | None = None
    ) -> FetchedBody:
        self.asked.append(url)
        page = f'<html><head><meta property="og:image" content="{self.og_image}"></head></html>'
        return FetchedBody(url, 200, "text/html", page.encode())


def context(fetcher: Any) -> Context:
    unused: Any = None
    return Context(
        settings=Settings(),
        db=unused,
        bucket=unused,
        transformer=unused,
        fetcher=fetcher,
        queue=unused,
        wait_until=lambda _: None,
    )


def test_a_page_whose_image_is_stand_in_art_has_nothing() -> None:
    fetcher = PageFetcher(EMPTY_COVER)
    ctx = context(fetcher)
    entity = ("reading", "articles", "deezer-album")
    query = ImageQuery.parse_obj({"article_url": PAGE_URL})
    (source,) = sources_for("reading", "articles")
    wanted = search.source_query(entity, query)
    assert asyncio.run(search.ask(ctx, source, wanted)) == []
    found = asyncio.run(search.find(ctx, entity, query))
    assert (found.found, found.failures) == (None, [])  # "no image", not a failure
    assert EMPTY_COVER not in fetcher.asked  # never downloaded


def test_a_page_with_real_art_offers_it() -> None:
    real = "https://e-cdns-images.dzcdn.net/images/cover/2e018122cb56986277102d2041a592c8/1000x1000-000000-80-0-0.jpg"
    ctx = context(PageFetcher(real))
    (source,) = sources_for("reading", "articles")
    query = ImageQuery.parse_obj({"article_url": PAGE_URL})
    wanted = search.source_query(("reading", "articles", "a"), query)
    assert [c.url for c in asyncio.run(search.ask(ctx, source, wanted))] == [real]
