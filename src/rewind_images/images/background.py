"""Background resolution on Cloudflare Queues: misses are queued, never run inline, and a
consumer in this same Worker runs the pipeline for them.

    admit_many  the one door (`admission`) for the ways that queue (the batch, RPC, the demo
                page, the admin backfill): a verdict per entity, read with the hints of its
                first item that has any; the `resolve` ones are queued
    enqueue     a message per entity to resolve, within the caller's miss budget
                (`miss_budget`; the backfill has none); an isolate sends none for an entity it
                queued within REQUEUE_AFTER_MS
    consume     per message: the one door again (the record may have been written since, the
                message may never succeed: acked and logged); `resolve` runs
                `pipeline.resolve` under the entity's claim, exactly as a GET miss runs it (its
                write also stores the placeholder, `storage.save`). A failure (sources failing:
                502, a busy claim: 503, a platform error) is retried after
                `queue_retry_delay_seconds`; after the queue's max_retries the runtime moves the
                message to the dead-letter queue.
    bury        the dead-letter queue's consumer: keeps each message in `image_dead_letters`,
                where the batch finds it (`failed`).

A message is an entity item (`entity_items`): domain, entity_type, entity_id and the hints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewind_images.config import (
    QUEUE_SEND_MAX_MESSAGES,
    REQUEUE_AFTER_MS,
    REQUEUE_MEMO_MAX_ENTRIES,
)
from rewind_images.context import Context, isolate_object
from rewind_images.images import dead_letter_store, miss_budget, pipeline, record_cache
from rewind_images.images.admission import Admission, Verdict, admit
from rewind_images.images.attachments import to_json
from rewind_images.images.batch_lookup import failures_of, lookup_many
from rewind_images.images.dead_letter_store import DeadLetter
from rewind_images.images.entity_items import EntityItem, read_items
from rewind_images.images.image_schemas import ImageQuery
from rewind_images.images.image_store import Entity, ImageRecord
from rewind_images.memo import BoundedDict
from rewind_images.ports import ReceivedMessage
from rewind_images.timestamps import iso_from_ms
from rewind_images.validation import shown


def message_body(entity: Entity, query: ImageQuery) -> dict[str, Any]:
    """The queue message that asks for an entity's resolution with those hints."""
    domain, entity_type, entity_id = entity
    return {"domain": domain, "entity_type": entity_type, "entity_id": entity_id, **query.hints()}


def first_queries(items: Sequence[EntityItem]) -> dict[Entity, ImageQuery]:
    """Each entity's hints, from the first of its items that has any (in request order)."""
    queries: dict[Entity, ImageQuery] = {}
    for item in items:
        known = queries.get(item.entity)
        if known is None or (not known.hints() and item.query.hints()):
            queries[item.entity] = item.query
    return queries


async def admit_many(
    ctx: Context,
    items: Sequence[EntityItem],
    records: dict[Entity, ImageRecord],
    caller: str | None,
) -> dict[Entity, Admission]:
    """The one door for each entity of `items`, with its records; those to `resolve` are
    queued (`enqueue`, spending `caller`'s miss budget; None: the backfill, which spends
    none). Dead letters are read only for those that would be resolved."""
    queries = first_queries(items)
    admissions = {e: admit(ctx, e, q, records.get(e)) for e, q in queries.items()}
    due = [e for e, a in admissions.items() if a.verdict is Verdict.resolve]
    if due:
        for entity, failure in (await failures_of(ctx, due)).items():
            admissions[entity] = admit(ctx, entity, queries[entity], records.get(entity), failure)
    await enqueue(
        ctx,
        [(e, a.query) for e, a in admissions.items() if a.verdict is Verdict.resolve],
        caller,
    )
    return admissions


class _Queued(BoundedDict[Entity, int]):
    """When this isolate last queued each entity."""

    def __init__(self) -> None:
        super().__init__(REQUEUE_MEMO_MAX_ENTRIES)


async def enqueue(
    ctx: Context, wanted: Sequence[tuple[Entity, ImageQuery]], caller: str | None
) -> None:
    """Queue the resolution of each entity with its hints, unless this isolate queued it within
    REQUEUE_AFTER_MS; as many as `caller`'s miss budget allows (all when None), in order."""
    queued = isolate_object(ctx, "queued", _Queued)
    now = ctx.clock_ms()
    bodies: dict[Entity, dict[str, Any]] = {}
    for entity, query in wanted:
        sent = queued.get(entity)
        if entity not in bodies and (sent is None or now - sent >= REQUEUE_AFTER_MS):
            bodies[entity] = message_body(entity, query)
    if caller is not None and bodies:
        allowed = miss_budget.take(ctx, caller, len(bodies))
        bodies = dict(list(bodies.items())[:allowed])
    if not bodies:
        return
    messages = list(bodies.values())
    for start in range(0, len(messages), QUEUE_SEND_MAX_MESSAGES):
        await ctx.queue.send_batch(messages[start : start + QUEUE_SEND_MAX_MESSAGES])
    for entity in bodies:
        queued[entity] = now


@dataclass
class Consumed:
    """What one consumer batch did (for logs and tests)."""

    resolved: int = 0
    already_recorded: int = 0
    retried: int = 0
    invalid: int = 0
    unaskable: int = 0


async def consume(ctx: Context, messages: Sequence[ReceivedMessage]) -> Consumed:
    """Resolve the entities of a batch of messages; ack or retry each."""
    done = Consumed()
    readings = read_items(ctx, [message.body for message in messages], None)
    records = await lookup_many(ctx, [r.entity for r in readings if isinstance(r, EntityItem)])
    for message, reading in zip(messages, readings, strict=True):
        if not isinstance(reading, EntityItem):
            print(f"queue message dropped ({reading.message}): {shown(message.body)}")
            message.ack()  # no try can make it valid
            done.invalid += 1
            continue
        entity = reading.entity
        previous = records.get(entity)
        admission = admit(ctx, entity, reading.query, previous)
        if admission.verdict is not Verdict.resolve:
            message.ack()
            if admission.verdict is Verdict.unaskable:  # no try can succeed
                print(f"queue message dropped (no source can be asked): {shown(message.body)}")
                done.unaskable += 1
            else:
                done.already_recorded += 1
            continue
        try:
            record = await pipeline.resolve(ctx, entity, admission.query, previous=previous)
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
        print(f"dead letter (every try failed): {shown(message.body)}")
    await dead_letter_store.record_dead_letters(ctx.db, letters, iso_from_ms(ctx.clock_ms()))
    for message in messages:
        message.ack()


def _json_text(body: Any) -> str:
    try:
        return to_json(body)
    except (TypeError, ValueError):
        return repr(body)
