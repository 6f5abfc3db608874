"""The placeholder page of local runs: `GET /demo` shows a grid of entities, each tile painted
with its placeholder at once, then its image from the (local) CDN fading in.

Like the local CDN it is served only with `LOCAL_CDN` (never in production). The page asks for
its attachments through its own server side, `POST /demo/attachments` (the batch route's
answer, without a key: the key stays on the server), and polls `pending` tiles until they are
ready. Its entities come from `DEMO_ENTITIES` (a JSON list of batch items; `make demo` sets it).
"""

from __future__ import annotations

import json

from rewind_images.config import MAX_JSON_BODY_BYTES
from rewind_images.context import Context
from rewind_images.errors import BadRequest
from rewind_images.http import JSON_CONTENT_TYPE, Request, Response, json_response
from rewind_images.images.attachment_answers import answer_items
from rewind_images.images.attachment_schemas import AttachmentsRequest
from rewind_images.images.demo_page_html import PAGE_HTML
from rewind_images.images.miss_budget import DEMO_CALLER
from rewind_images.images.variants import DIMENSIONS
from rewind_images.validation import parse_json_body

PAGE_PATH = "/demo"
ATTACHMENTS_PATH = "/demo/attachments"
_HTML_TYPE = "text/html; charset=utf-8"


def _page(ctx: Context) -> bytes:
    config = {
        "entities": json.loads(ctx.settings.demo_entities or "[]"),
        "sizes": {size.value: dims for size, dims in DIMENSIONS.items() if dims is not None},
    }
    # Inside a <script>: '</' must not end it early.
    return PAGE_HTML.replace("__CONFIG__", json.dumps(config).replace("</", "<\\/")).encode()


async def serve(request: Request, ctx: Context) -> Response | None:
    """The page or its attachments, or None for any other path."""
    if request.path == PAGE_PATH and request.method in ("GET", "HEAD"):
        headers = {"content-type": _HTML_TYPE, "cache-control": "no-store"}
        return Response(200, headers, _page(ctx))
    if request.path == ATTACHMENTS_PATH and request.method == "POST":
        try:
            body = parse_json_body(AttachmentsRequest, await request.read_body(MAX_JSON_BODY_BYTES))
        except BadRequest as exc:
            return json_response({"error": exc.message, "status": 400}, 400)
        text = await answer_items(ctx, body.items, body.size.value, DEMO_CALLER)
        headers = {"content-type": JSON_CONTENT_TYPE, "cache-control": "no-store"}
        return Response(200, headers, f'{{"data":{text}}}'.encode())
    return None
