"""Background resolution on Cloudflare Queues: misses are queued, never run inline, and a
consumer in this same Worker runs the pipeline for them.

    enqueue    a message per entity that needs resolving (batch misses, backfills); an
               isolate sends none for an entity it queued within REQUEUE_AFTER_MS
    consume    per message: an entity that already has its record is a no-op (acked); else
               `pipeline.resolve` under the entity's claim, exactly as a GET miss runs it (its
               write also stores the placeholder, `storage.save`). A failure (sources failing:
               502, a busy claim: 503, a platform error) is retried after
               `queue_retry_delay_seconds`; after the queue's max_retries the runtime moves the
               message to the dead-letter queue.
    bury       the dead-letter queue's consumer: keeps each message in `image_dead_letters`.

A message is an entity item (`entity_items`): domain, entity_type, entity_id and the hints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rewind_images.config import (
    QUEUE_SEND_MAX_MESSAGES,
    REQUEUE_AFTER_MS,
    REQUEUE_MEMO_MAX_ENTRIES,
)
from rewind_images.context import Context, isolate_object
from rewind_images.images import dead_letter_store, pipeline, record_cache
from rewind_images.images.attachments import to_json
from rewind_images.images.batch_lookup import lookup_many, resolution_due
from rewind_images.images.dead_letter_store import DeadLetter
from rewind_images.images.entity_items import EntityItem, read_items
from rewind_images.images.image_store import Entity
from rewind_images.ports import ReceivedMessage
from rewind_images.timestamps import iso_from_ms


def message_body(item: EntityItem) -> dict[str, Any]:
    """The queue message that asks for an entity's resolution."""
    domain, entity_type, entity_id = item.entity
    return {
        "domain": domain,
        "entity_type": entity_type,
        "entity_id": entity_id,
        **item.query.hints(),
    }


@dataclass
class _Queued:
    """When this isolate last queued each entity."""

    at_ms: dict[Entity, int] = field(default_factory=dict)


async def enqueue(ctx: Context, items: Sequence[EntityItem]) -> None:
    """Queue the resolution of each item's entity (once per entity; the first item's hints),
    unless this isolate queued it within REQUEUE_AFTER_MS."""
    queued = isolate_object(ctx, "queued", _Queued).at_ms
    now = ctx.clock_ms()
    bodies: dict[Entity, dict[str, Any]] = {}
    for item in items:
        sent = queued.get(item.entity)
        if item.entity in bodies or (sent is not None and now - sent < REQUEUE_AFTER_MS):
            continue
        bodies[item.entity] = message_body(item)
    if not bodies:
        return
    messages = list(bodies.values())
    for start in range(0, len(messages), QUEUE_SEND_MAX_MESSAGES):
        await ctx.queue.send_batch(messages[start : start + QUEUE_SEND_MAX_MESSAGES])
    if len(queued) + len(bodies) > REQUEUE_MEMO_MAX_ENTRIES:
        queued.clear()
    queued.update(dict.fromkeys(bodies, now))


@dataclass
class Consumed:
    """What one consumer batch did (for logs and tests)."""

    resolved: int = 0
    already_recorded: int = 0
    retried: int = 0
    invalid: int = 0


async def consume(ctx: Context, messages: Sequence[ReceivedMessage]) -> Consumed:
    """Resolve the entities of a batch of messages; ack or retry each."""
    done = Consumed()
    readings = read_items(ctx, [message.body for message in messages], None)
    records = await lookup_many(ctx, [r.entity for r in readings if isinstance(r, EntityItem)])
    for message, reading in zip(messages, readings, strict=True):
        if not isinstance(reading, EntityItem):
            print(f"queue message dropped ({reading.message}): {message.body!r}")
            message.ack()  # no try can make it valid
            done.invalid += 1
            continue
        entity = reading.entity
        previous = records.get(entity)
        if not resolution_due(ctx, previous):
            message.ack()
            done.already_recorded += 1
            continue
        try:
            # Without hints of its own, the record's (ours, or the original's) are searched with.
            query = pipeline.query_for(reading.query, previous)
            record = await pipeline.resolve(ctx, entity, query, previous=previous)
            record_cache.record_cache(ctx).remember(entity, record)
        except Exception as exc:  # every failure may pass; the dead letters keep the rest
            print(f"resolving {'/'.join(entity)} failed (try {message.attempts}): {exc!r}")
            message.retry(ctx.settings.queue_retry_delay_seconds)
            done.retried += 1
            continue
        records[entity] = record
        message.ack()
        done.resolved += 1
    return done


async def bury(ctx: Context, messages: Sequence[ReceivedMessage]) -> None:
    """Keep dead-lettered messages in D1, then ack them."""
    letters = []
    for message, reading in zip(
        messages, read_items(ctx, [m.body for m in messages], None), strict=True
    ):
        entity = reading.entity if isinstance(reading, EntityItem) else None
        letters.append(DeadLetter(entity, _json_text(message.body)))
        print(f"dead letter (every try failed): {message.body!r}")
    await dead_letter_store.record_dead_letters(ctx.db, letters, iso_from_ms(ctx.clock_ms()))
    for message in messages:
        message.ack()


def _json_text(body: Any) -> str:
    try:
        return to_json(body)
    except (TypeError, ValueError):
        return repr(body)
