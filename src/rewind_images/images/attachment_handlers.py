"""POST /v1/images/attachments: attachments for a page of entities at once.

The body is `{"size": "medium", "items": [...]}` with 1 to 100 items; the answer is 200
`{"data": [...]}`, one result per item in request order (`attachment_answers`). The request is
a 400 only when that envelope is malformed; a bad item is answered `invalid`.

Rate limit: a batch of n items costs ceil(n / ITEMS_PER_RATE_UNIT) requests of its key's
per-minute limit (1 for 1-10 items, 10 for 100). Authentication took the first when the request
arrived; the rest is taken here, before any work (a 429 when the window has fewer left).
"""

from __future__ import annotations

from rewind_images.config import ITEMS_PER_RATE_UNIT
from rewind_images.http import JSON_CONTENT_TYPE, Response
from rewind_images.images import miss_budget
from rewind_images.images.attachment_answers import answer_items
from rewind_images.images.attachment_schemas import AttachmentsRequest
from rewind_images.routing import Call

BATCH_HEADERS = {"content-type": JSON_CONTENT_TYPE, "cache-control": "no-store"}


def batch_cost(items: int) -> int:
    """What a batch of `items` costs of its key's limit, in requests."""
    return -(-items // ITEMS_PER_RATE_UNIT)


async def post_attachments(call: Call[None, None, AttachmentsRequest]) -> Response:
    """Answer every item of a batch with its attachment status."""
    items = call.body.items
    call.key.charge(batch_cost(len(items)) - 1)
    caller = miss_budget.key_caller(call.key.id)
    text = await answer_items(call.ctx, items, call.body.size.value, caller)
    return Response(status=200, headers=dict(BATCH_HEADERS), body=f'{{"data":{text}}}'.encode())
