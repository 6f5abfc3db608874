"""Reading rows the original service wrote (tests/original.py has their shapes): the record keeps
their source names and version 0, their camelCase hints are searched with, their toISOString
timestamps are read exactly. (Every shape through every route: tests/app/test_takeover.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rewind_images.images.resolution.admission import stored_query
from rewind_images.images.row import ImageRecord
from rewind_images.timestamps import parse_timestamp_ms
from tests.support.original import ORIGINAL_IMAGES, to_iso_string


def row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "r2_key": "listening/albums/1/original.jpg",
        "source": "apple-music",
        "image_version": 1,
        "created_at": "2026-08-21T22:48:07.123Z",
        "search_hints": None,
    }
    return {**base, **values}


@pytest.mark.parametrize("image", ORIGINAL_IMAGES, ids=lambda i: f"{i.entity_type}-{i.source}")
def test_every_original_source_and_version_is_read_as_stored(image: Any) -> None:
    version = 0 if image.no_source else image.image_version
    record = ImageRecord.from_row(
        row(r2_key=image.r2_key, source=image.source, image_version=version)
    )
    assert record.source == image.source
    assert record.image_version == version
    assert record.has_image is not image.no_source


def test_a_version_0_stays_0_and_only_a_missing_version_reads_as_1() -> None:
    assert ImageRecord.from_row(row(r2_key="", source="none", image_version=0)).image_version == 0
    assert ImageRecord.from_row(row(image_version=None)).image_version == 1


@pytest.mark.parametrize(
    ("stored", "hints"),
    [
        (
            {"artistName": "Daft Punk", "albumName": "Discovery"},
            {"artist_name": "Daft Punk", "album_name": "Discovery"},
        ),
        ({"tmdbId": "1396"}, {"tmdb_id": "1396"}),
        (
            {"mbid": "a1b2c3d4-0000-4000-8000-000000000000"},
            {"mbid": "a1b2c3d4-0000-4000-8000-000000000000"},
        ),
        ({"articleUrl": "https://example.com/a"}, {"article_url": "https://example.com/a"}),
        (
            {"artist_name": "Air", "album_name": "Moon Safari"},
            {"artist_name": "Air", "album_name": "Moon Safari"},
        ),
        ({"tmdbId": "not a number"}, {}),  # no longer valid: no hints rather than a failure
        ({"somethingElse": "x"}, {}),
    ],
)
def test_the_originals_camelcase_hints_are_searched_with(
    stored: dict[str, str], hints: dict[str, str]
) -> None:
    record = ImageRecord.from_row(row(r2_key="", source="none", search_hints=json.dumps(stored)))
    assert stored_query(record).hints() == hints


@pytest.mark.parametrize("ms", [0, 1_755_816_487_123, 1_796_634_005_417, 4_102_444_799_999])
def test_to_iso_string_timestamps_are_read_to_the_millisecond(ms: int) -> None:
    assert parse_timestamp_ms(to_iso_string(ms)) == ms


def test_wranglers_own_timestamps_are_read_as_utc() -> None:
    # d1_migrations.applied_at is SQLite's CURRENT_TIMESTAMP: no T, no zone.
    assert parse_timestamp_ms("2026-08-21 22:48:07") == parse_timestamp_ms(
        "2026-08-21T22:48:07.000Z"
    )
