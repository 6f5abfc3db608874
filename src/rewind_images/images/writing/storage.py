"""The storage rule, in one place: R2 and D1 never disagree.

- An object is written before the row that names it, and only while its writer holds the
  entity's claim: just before the put the claim is renewed for a full lease. The put itself is
  fenced, since object keys are fixed and a writer may stall past its lease: it happens only if
  the key is free, or holds exactly the object the writer saw while its claim was (again)
  renewed. A writer that lost its lease therefore never replaces the object of the writer that
  took over; it changes nothing and answers the record that won.
- When that row cannot be written (an error, an override in the way, a lost claim), the new
  object is removed again unless a row names it. After a lost claim the key may by then hold
  the winner's object: when the claim is free again, every object of the entity that no row
  names goes, under the claim; while another writer holds it, only an object that still
  carries this writer's claim token (R2 has no conditional delete, so a put landing between
  that check and the delete is the one window left; the next writer replaces a stray anyway).
- An object is deleted only once no row names it: the entity's previous object after the row
  moved to another key, or all of its objects after the row is gone.
- New analysis results of a stored object are written only while the row still names it.

Every writer goes through here holding the entity's claim: the pipeline and override/revert
(`save`), delete (`delete`) and re-analysis (`reanalyse`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from rewind_images.config import CLAIM_LEASE_MS, FENCED_PUT_ATTEMPTS
from rewind_images.context import Context
from rewind_images.errors import DependencyError
from rewind_images.images.attachments import placeholders
from rewind_images.images.resolution.analysis import AnalysisFailed, analyse
from rewind_images.images.resolution.search import Found
from rewind_images.images.row import Entity, NewImage
from rewind_images.images.store import claim_rows, image_rows
from rewind_images.images.store.image_rows import WriteResult
from rewind_images.images.variants import ORIGINAL_CACHE_CONTROL, every_object_key, object_key
from rewind_images.images.writing import claims
from rewind_images.imaging.sniff import EXTENSIONS
from rewind_images.ports import ObjectInfo, PutCondition

# Custom metadata naming the claim (token) an object was put under: how a writer recognises
# its own put when a retried conditional put reports that the condition failed.
CLAIM_METADATA = "x-claim"

RowWrite = Callable[[NewImage], Awaitable[WriteResult]]


def describe(entity: Entity, found: Found | None, hints: str | None) -> NewImage:
    """The row for an accepted candidate (or "no image" when there is none)."""
    if found is None:
        return NewImage.nothing(hints)
    return NewImage(
        r2_key=object_key(entity, EXTENSIONS[found.content_type]),
        source=found.candidate.source,
        source_url=found.candidate.url,
        width=found.width,
        height=found.height,
        thumbhash=found.analysis.thumbhash,
        dominant_color=found.analysis.dominant,
        accent_color=found.analysis.accent,
        search_hints=hints,
    )


async def save(
    ctx: Context,
    entity: Entity,
    token: str,
    found: Found | None,
    image: NewImage,
    write: RowWrite,
    *,
    previous_key: str,
) -> WriteResult:
    """Store `found`'s bytes under `image.r2_key` (when there are any), then write the row with
    `write`, keeping the rule above. `previous_key` is the key the row named before ('' none)."""
    new_key = image.r2_key if found is not None else ""
    if found is not None and new_key and not await _fenced_put(ctx, entity, token, found, image):
        # Another writer took the claim over: its record stands, nothing of ours was put.
        return WriteResult(False, await image_rows.get_image(ctx.db, entity))
    try:
        result = await write(image)
    except Exception:
        if new_key and new_key != previous_key:
            await ctx.bucket.delete([new_key])  # no object without its row
        raise
    stored_key = result.record.r2_key if result.record is not None else ""
    if new_key and new_key != stored_key:
        await _remove_strays(ctx, entity, token, new_key)  # another row won
    if result.written and previous_key and previous_key != stored_key:
        await ctx.bucket.delete([previous_key])  # the old extension's object
    if result.written and result.record is not None and result.record.thumbhash:
        # The attachment's placeholder, made in the background now rather than by a reader.
        ctx.wait_until(placeholders.prepare(ctx, result.record.thumbhash))
    return result


async def _fenced_put(
    ctx: Context, entity: Entity, token: str, found: Found, image: NewImage
) -> bool:
    """Put `found`'s bytes under `image.r2_key` while holding the claim `token`; False when the
    claim turned out to be lost (nothing put)."""
    key = image.r2_key
    metadata = {
        "x-source": image.source,
        "x-source-url": image.source_url or "",
        "x-dimensions": f"{image.width}x{image.height}",
        CLAIM_METADATA: token,
    }
    condition = PutCondition(absent=True)
    for _ in range(FENCED_PUT_ATTEMPTS):
        if not await claim_rows.renew_claim(ctx.db, entity, token, ctx.clock_ms(), CLAIM_LEASE_MS):
            return False
        put = await ctx.bucket.put(
            key,
            found.body,
            content_type=found.content_type,
            cache_control=ORIGINAL_CACHE_CONTROL,
            custom_metadata=metadata,
            only_if=condition,
        )
        if put:
            return True
        current = await ctx.bucket.head(key)
        if _put_under(current, token):
            return True  # our own put landed (a retried put reports its condition failed)
        # Another writer's object (an earlier row's, or a writer's that lost its lease): it may
        # be replaced, exactly that one, only after the claim is confirmed ours again.
        condition = (
            PutCondition(absent=True) if current is None else PutCondition(etag=current.etag)
        )
    raise DependencyError(f"R2 put {key!r}: the object kept changing under the claim")


async def _remove_strays(ctx: Context, entity: Entity, token: str, new_key: str) -> None:
    """After the claim `token` was lost: delete the entity's objects no row names when its
    claim can be taken now, else only `new_key` if it is still the object put under `token`."""
    holder = await claims.try_claim(ctx, entity)
    if holder is None:
        if _put_under(await ctx.bucket.head(new_key), token):
            await ctx.bucket.delete([new_key])
        return
    try:
        record = await image_rows.get_image(ctx.db, entity)
        named = record.r2_key if record is not None else ""
        await ctx.bucket.delete([key for key in await _objects(ctx, entity) if key != named])
    finally:
        await claim_rows.release(ctx.db, entity, holder)


async def delete(ctx: Context, entity: Entity, token: str) -> tuple[bool, list[str]]:
    """Remove the entity's row under the claim `token`, then every object of the entity once no
    row names it: (whether there was a row, the keys of the objects removed)."""
    existed = await image_rows.delete_image(ctx.db, entity, token)
    if await image_rows.get_image(ctx.db, entity) is not None:
        return existed, []  # the claim was lost and the row stands: its objects stay
    present = await _objects(ctx, entity)
    await ctx.bucket.delete(present)
    return existed, present


async def _objects(ctx: Context, entity: Entity) -> list[str]:
    """The keys of the entity's objects that exist (one per extension it may have)."""
    return [key for key in every_object_key(entity) if await ctx.bucket.head(key) is not None]


def _put_under(current: ObjectInfo | None, token: str) -> bool:
    """Whether an object is the one put under the claim `token`."""
    return current is not None and current.custom_metadata.get(CLAIM_METADATA) == token


async def reanalyse(ctx: Context, row: image_rows.StoredImageRow, token: str) -> bool:
    """Analyse a row's stored object again and store the results under the claim `token`;
    whether the row was updated (not when it names another object by now)."""
    stored = await ctx.bucket.get(row.r2_key)
    if stored is None:
        raise AnalysisFailed(f"object {row.r2_key} is missing")
    analysis = await analyse(ctx, stored.body)
    updated = await image_rows.update_analysis(
        ctx.db, row, token, analysis.thumbhash, analysis.dominant, analysis.accent
    )
    if updated:  # the new hash's placeholder, made now rather than by a reader
        ctx.wait_until(placeholders.prepare(ctx, analysis.thumbhash))
    return updated
