"""POST /v1/admin/images/reanalyze: recompute ThumbHash and colours from the stored bytes, one
batch of rows per call (`{batch_size, all, cursor}`; `all: false` takes only rows missing a
ThumbHash). Each row is analysed under its entity's claim, through the storage rule."""

from __future__ import annotations

from rewind_images.http import NO_STORE, Response, json_response
from rewind_images.images.admin.models import ReanalyzeRequest, ReanalyzeResult
from rewind_images.images.hit import records
from rewind_images.images.inputs import Domain, EntityType
from rewind_images.images.store import image_rows
from rewind_images.images.writing import claims, storage
from rewind_images.routing import Call

# Rows of other domains and entity types (the original service's share the table) are left alone.
SERVED = image_rows.Served(
    domains=tuple(d.value for d in Domain), entity_types=tuple(t.value for t in EntityType)
)


async def reanalyze(call: Call[None, None, ReanalyzeRequest]) -> Response:
    """Re-analyse one batch of rows; `remaining` says how many are left after `next_cursor`."""
    ctx, body = call.ctx, call.body
    rows = await image_rows.rows_to_reanalyze(
        ctx.db, SERVED, after_id=body.cursor, limit=body.batch_size, every_row=body.all
    )
    updated = failed = 0
    cursor = body.cursor
    for row in rows:
        cursor = row.id
        try:
            async with claims.exclusive(ctx, row.entity) as token:
                changed = await storage.reanalyse(ctx, row, token)
        except Exception as exc:  # one bad row must not stop the batch
            print(f"reanalyze {row.r2_key} failed: {exc!r}")
            failed += 1
            continue
        records.forget(ctx, row.entity)
        updated += int(changed)
    remaining = await image_rows.count_to_reanalyze(
        ctx.db, SERVED, after_id=cursor, every_row=body.all
    )
    result = ReanalyzeResult(
        updated=updated, failed=failed, remaining=remaining, next_cursor=cursor
    )
    return json_response(result.dict(), headers=NO_STORE)
