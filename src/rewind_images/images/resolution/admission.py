"""The one door: whether an entity may be resolved now, and with which hints.

Every way to an entity's resolution asks `admit`: the image GET (and its JSON form), the
attachment batch, the RPC methods, the demo page, the admin backfill and the queue consumer.
Validation comes first (each way reads its input with the GET's models, `images.items`), the
miss budget after (`miss_budget`); between them, this decides:

    ready     the record has an image. A found image is never searched again from here,
              whatever the hints: the admin routes correct one.
    none      a "no image" record that is not due (within the negative TTL, and no other hints
              past the hint-retry interval): the GET answers 404.
    unaskable no source can be asked with the hints (each declines: no usable hint, or its
              secret is not configured). Nothing is written or queued: the GET answers 404,
              the batch `none`.
    failed    only where a resolution would be queued: the last background resolution failed
              on every try (a dead letter newer than the record), within
              `failed_retry_seconds`, and the request brings no other hints.
    resolve   ask the sources, with `query`: the request's hints, or the record's own when it
              brings none.

A "no image" record is due when it is past `negative_ttl_seconds`, or when a request brings
other hints than it was made with and its last search is at least `hint_retry_seconds` old (so
the first request's hints never lock an entity out for the whole TTL, and varying hints cannot
make it search on every request).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from rewind_images.context import Context
from rewind_images.images.inputs import ImageQuery
from rewind_images.images.resolution import search
from rewind_images.images.row import Entity, ImageRecord
from rewind_images.timestamps import parse_timestamp_ms

NO_HINTS = ImageQuery.parse_obj({})
# The original service stores its hints under camelCase names: rows it wrote are read alike.
ORIGINAL_HINT_NAMES = {
    "artistName": "artist_name",
    "albumName": "album_name",
    "tmdbId": "tmdb_id",
    "articleUrl": "article_url",
}


class Verdict(StrEnum):
    """What may be done for an entity now."""

    ready = "ready"
    none = "none"
    unaskable = "unaskable"
    failed = "failed"
    resolve = "resolve"


@dataclass(frozen=True)
class Admission:
    """The verdict, and the hints a resolution would search with."""

    verdict: Verdict
    query: ImageQuery


@dataclass(frozen=True)
class Failure:
    """The entity's last background resolution that failed on every try."""

    at_ms: int
    hints: dict[str, str]


def hints_json(query: ImageQuery) -> str | None:
    """The hints a record is made with, as stored in `search_hints`."""
    used = query.hints()
    return json.dumps(used, sort_keys=True) if used else None


def hints_of(stored: object) -> ImageQuery:
    """Hints as stored (a record's `search_hints`, ours or the original's; a message body), read
    with the GET's rules: none when absent or when they no longer validate (rows written by
    older code)."""
    try:
        value = json.loads(stored) if isinstance(stored, str) else stored
        if not isinstance(value, dict):
            return NO_HINTS
        return ImageQuery.parse_obj({ORIGINAL_HINT_NAMES.get(k, k): v for k, v in value.items()})
    except ValueError:  # also pydantic's ValidationError
        return NO_HINTS


def stored_query(record: ImageRecord | None) -> ImageQuery:
    """The hints a record was made with."""
    return NO_HINTS if record is None or not record.search_hints else hints_of(record.search_hints)


def query_for(given: ImageQuery, record: ImageRecord | None) -> ImageQuery:
    """The hints to search with: the request's, or the record's own when it brings none."""
    return given if given.hints() else stored_query(record)


def checked_ms(record: ImageRecord) -> int | None:
    """When the sources were last asked for a record (None when unknown): a "no image" row's
    `created_at` (see ImageRecord)."""
    try:
        return parse_timestamp_ms(record.created_at)
    except ValueError:  # text that is no timestamp: treated as unknown, so it is asked again
        return None


def negative_expired(record: ImageRecord, ctx: Context) -> bool:
    """Whether a "no image" record is older than the negative TTL."""
    checked = checked_ms(record)
    return checked is None or ctx.clock_ms() - checked >= ctx.settings.negative_ttl_seconds * 1000


def _other_hints_may_retry(record: ImageRecord, query: ImageQuery, ctx: Context) -> bool:
    if query.hints() == stored_query(record).hints():
        return False
    checked = checked_ms(record)
    return checked is None or ctx.clock_ms() - checked >= ctx.settings.hint_retry_seconds * 1000


def _failed_recently(
    ctx: Context, record: ImageRecord | None, query: ImageQuery, failure: Failure | None
) -> bool:
    if failure is None or failure.hints != query.hints():
        return False
    checked = checked_ms(record) if record is not None else None
    if checked is not None and checked >= failure.at_ms:
        return False  # the record was written after that failure
    return ctx.clock_ms() - failure.at_ms < ctx.settings.failed_retry_seconds * 1000


def admit(
    ctx: Context,
    entity: Entity,
    given: ImageQuery,
    record: ImageRecord | None,
    failure: Failure | None = None,
) -> Admission:
    """The verdict for an entity with `record` (None: no row), asked with the hints `given`.
    `failure`: its last dead-lettered resolution, where the way in queues (None otherwise)."""
    if record is not None and record.has_image:
        return Admission(Verdict.ready, given)
    query = query_for(given, record)
    if record is not None and not (
        negative_expired(record, ctx) or _other_hints_may_retry(record, query, ctx)
    ):
        return Admission(Verdict.none, query)
    if _failed_recently(ctx, record, query, failure):
        return Admission(Verdict.failed, query)
    if not search.askable(ctx, entity, query):
        return Admission(Verdict.unaskable, query)
    return Admission(Verdict.resolve, query)
