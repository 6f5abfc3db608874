"""Background resolution on Cloudflare Queues, the consuming side (`on_queue` in src/entry.py).

consume     the resolve queue: per message, the one door again (the record may have been
            written since; a message that can never succeed is acked and logged, never
            retried); `resolve` runs `pipeline.resolve` under the entity's claim, exactly as
            a GET miss runs it (its write also stores the placeholder). A failure (sources
            failing: 502, a busy claim: 503, a platform error) is retried after
            `queue_retry_delay_seconds`; after the queue's max_retries the runtime moves the
            message to the dead-letter queue.
bury        the dead-letter queue: keeps each message in `image_dead_letters`, where the
            batch finds it (`failed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rewind_images.config import DEAD_LETTER_QUEUE_NAME
from rewind_images.context import Context
from rewind_images.http import to_json
from rewind_images.images.attachments.lookup import lookup_many
from rewind_images.images.hit import records
from rewind_images.images.items import EntityItem, read_items
from rewind_images.images.resolution import pipeline
from rewind_images.images.resolution.admission import Verdict, admit
from rewind_images.images.store import dead_letters
from rewind_images.images.store.dead_letters import DeadLetter
from rewind_images.ports import ReceivedMessage
from rewind_images.timestamps import iso_from_ms
from rewind_images.validation import shown


async def deliver(ctx: Context, queue_name: str, messages: Sequence[ReceivedMessage]) -> None:
    """A batch the runtime delivered: the dead-letter queue's, or the resolve queue's."""
    if queue_name == DEAD_LETTER_QUEUE_NAME:
        await bury(ctx, messages)
    else:
        print(f"queue {queue_name}: {await consume(ctx, messages)}")


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
    known = await lookup_many(ctx, [r.entity for r in readings if isinstance(r, EntityItem)])
    for message, reading in zip(messages, readings, strict=True):
        if not isinstance(reading, EntityItem):
            print(f"queue message dropped ({reading.message}): {shown(message.body)}")
            message.ack()  # no try can make it valid
            done.invalid += 1
            continue
        entity = reading.entity
        previous = known.get(entity)
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
            records.cache(ctx).remember(entity, record)
        except Exception as exc:  # every failure may pass; the dead letters keep the rest
            print(f"resolving {'/'.join(entity)} failed (try {message.attempts}): {exc!r}")
            message.retry(ctx.settings.queue_retry_delay_seconds)
            done.retried += 1
            continue
        known[entity] = record
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
    await dead_letters.record_dead_letters(ctx.db, letters, iso_from_ms(ctx.clock_ms()))
    for message in messages:
        message.ack()


def _json_text(body: Any) -> str:
    try:
        return to_json(body)
    except (TypeError, ValueError):
        return repr(body)
