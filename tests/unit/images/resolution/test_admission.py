"""images.resolution.admission in isolation: when a "no image" record is due again (the
negative TTL, counted from its `created_at`: when the sources were last asked), the hints
stored with a record, ours or the original's, and a failure against a record of the same
moment. A fake clock; no D1."""

from __future__ import annotations

from typing import Any

import pytest

from rewind_images.config import RATE_WINDOW_MS, Settings
from rewind_images.context import Context
from rewind_images.images.inputs import ImageQuery
from rewind_images.images.resolution import admission
from rewind_images.images.resolution.admission import Failure, Verdict
from rewind_images.images.row import ImageRecord
from rewind_images.timestamps import iso_from_ms

WINDOW_START_MS = 31_666_667 * RATE_WINDOW_MS
TTL_S = 7 * 24 * 3600


@pytest.fixture
def ctx() -> Context:
    unused: Any = None
    context = Context(Settings(), unused, unused, unused, unused, unused, lambda _: None)
    context.clock_ms = lambda: WINDOW_START_MS
    return context


def no_image(created_at: str, search_hints: str | None = None) -> ImageRecord:
    return ImageRecord(
        "", "none", None, None, None, None, None, None, search_hints, False, 1, created_at
    )


def test_a_no_image_record_expires_seven_days_after_the_sources_were_asked(ctx: Context) -> None:
    asked = WINDOW_START_MS - TTL_S * 1000
    assert admission.negative_expired(no_image(iso_from_ms(asked)), ctx)
    assert not admission.negative_expired(no_image(iso_from_ms(asked + 1)), ctx)


@pytest.mark.parametrize("created_at", ["", "not a time", "2026-13-45T99:00:00Z"])
def test_a_record_without_a_readable_time_has_expired(ctx: Context, created_at: str) -> None:
    # Rows written by other code: asked again rather than failing the request.
    assert admission.negative_expired(no_image(created_at), ctx)


def test_stored_hints_are_read_with_the_gets_rules_ours_and_the_originals() -> None:
    ours = no_image("", '{"artist_name": "Air", "album_name": "Moon Safari"}')
    assert admission.stored_query(ours).hints() == {
        "artist_name": "Air",
        "album_name": "Moon Safari",
    }
    original = no_image("", '{"artistName": "Air", "tmdbId": "603"}')
    assert admission.stored_query(original).hints() == {"artist_name": "Air", "tmdb_id": "603"}
    for broken in ("{", "[1]", '{"mbid": "not-a-uuid"}'):
        assert admission.stored_query(no_image("", broken)).hints() == {}


def test_a_record_made_without_hints_stores_none() -> None:
    # Admin answers show a record's `search_hints`: null, not "{}", when none were used.
    assert admission.hints_json(admission.NO_HINTS) is None
    given = ImageQuery.parse_obj({"artist_name": "Daft Punk", "album_name": "Discovery"})
    stored = '{"album_name": "Discovery", "artist_name": "Daft Punk"}'
    assert admission.hints_json(given) == stored


def test_a_record_written_in_the_millisecond_of_a_failure_is_newer_than_that_failure(
    ctx: Context,
) -> None:
    # A "no image" record made with other hints, old enough for new hints to be tried; a
    # background resolution with the new hints failed on every try.
    asked = WINDOW_START_MS - ctx.settings.hint_retry_seconds * 1000
    record = no_image(iso_from_ms(asked), '{"artist_name": "Air"}')
    given = ImageQuery.parse_obj({"artist_name": "Daft Punk", "album_name": "Discovery"})
    entity = ("listening", "albums", "a")
    after = Failure(asked + 1, given.hints())
    assert admission.admit(ctx, entity, given, record, after).verdict is Verdict.failed
    same_moment = Failure(asked, given.hints())
    assert admission.admit(ctx, entity, given, record, same_moment).verdict is Verdict.resolve
