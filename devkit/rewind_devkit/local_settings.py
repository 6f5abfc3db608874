"""The Worker's settings for local runs against the fake upstream (`make demo`,
`make dev UPSTREAMS=fake`): every source on the fake, the local CDN, the placeholder page."""

from __future__ import annotations

import json

from rewind_devkit.fake_upstream import FakeUpstream


def page_entities(fake_base: str) -> list[dict[str, str]]:
    """The placeholder page's grid: album covers, artist photos, posters, article images."""
    return [
        {
            "domain": "listening",
            "entity_type": "albums",
            "entity_id": "discovery",
            "artist_name": "Daft Punk",
            "album_name": "Discovery",
            "label": "Daft Punk: Discovery",
        },
        {
            "domain": "listening",
            "entity_type": "albums",
            "entity_id": "rumours",
            "artist_name": "Fleetwood Mac",
            "album_name": "Rumours",
            "label": "Fleetwood Mac: Rumours",
        },
        {
            "domain": "listening",
            "entity_type": "albums",
            "entity_id": "lemonade",
            "artist_name": "Beyoncé",
            "album_name": "Lemonade",
            "label": "Beyoncé: Lemonade",
        },
        {
            "domain": "listening",
            "entity_type": "artists",
            "entity_id": "air",
            "artist_name": "Air",
            "label": "Air",
        },
        {
            "domain": "watching",
            "entity_type": "movies",
            "entity_id": "the-matrix",
            "tmdb_id": "603",
            "size": "poster-sm",
            "label": "The Matrix",
        },
        {
            "domain": "watching",
            "entity_type": "movies",
            "entity_id": "fight-club",
            "tmdb_id": "550",
            "size": "poster-sm",
            "label": "Fight Club",
        },
        {
            "domain": "watching",
            "entity_type": "shows",
            "entity_id": "breaking-bad",
            "tmdb_id": "1396",
            "size": "poster-sm",
            "label": "Breaking Bad",
        },
        {
            "domain": "reading",
            "entity_type": "articles",
            "entity_id": "og-basic",
            "article_url": f"{fake_base}/pages/og-basic",
            "label": "An article (og:image)",
        },
        {
            "domain": "reading",
            "entity_type": "articles",
            "entity_id": "twitter-only",
            "article_url": f"{fake_base}/pages/twitter-only",
            "label": "An article (twitter:image)",
        },
    ]


def fake_upstream_settings(fake: FakeUpstream, base_url: str, **extra: str) -> dict[str, str]:
    """Every source on `fake`, redirects to the local CDN of the Worker at `base_url`, and the
    placeholder page's entities."""
    return fake.settings_env(
        LOCAL_CDN="true",
        CDN_BASE_URL=base_url,
        DEMO_ENTITIES=json.dumps(page_entities(fake.base_url)),
        **extra,
    )
