"""The placeholder page of local runs: `GET /demo` shows a grid of entities, each tile painted
with its placeholder at once, then its image from the (local) CDN fading in.

Served only with `LOCAL_CDN` (never in production) and only when `DEMO_ENTITIES` names the
page's entities (a JSON list of batch items; `make demo` and `make dev UPSTREAMS=fake` set it,
plain `make dev` does not). The page asks for its attachments through its own server side,
`POST /demo/attachments` (the batch route's answer, without a key), and polls `pending` tiles
until they are ready. Since that route has no key, any web page the developer visits could call
it: it takes only `application/json` bodies (a form post cannot send one without a CORS
preflight, which it does not answer), and only the configured entities, each answered with its
configured hints (415 and 403 otherwise), so it can never drive the upstreams beyond the grid.
"""

from __future__ import annotations

import json
from typing import Any

from rewind_images.config import MAX_JSON_BODY_BYTES
from rewind_images.context import Context
from rewind_images.errors import Forbidden, ServiceError, UnsupportedMediaType
from rewind_images.http import NO_STORE, Request, Response, data_response, error_response
from rewind_images.images.attachments.batch import answer_items
from rewind_images.images.attachments.payloads import AttachmentsRequest
from rewind_images.images.resolution.budget import DEMO_CALLER
from rewind_images.images.variants import DIMENSIONS
from rewind_images.local.demo_html import PAGE_HTML
from rewind_images.validation import parse_json_body

PAGE_PATH = "/demo"
ATTACHMENTS_PATH = "/demo/attachments"
_HTML_TYPE = "text/html; charset=utf-8"
JSON_ONLY_MESSAGE = "Content-Type must be application/json"
NOT_ON_THE_PAGE_MESSAGE = "Only the demo page's entities can be asked for"


def _entities(ctx: Context) -> list[dict[str, Any]]:
    configured = json.loads(ctx.settings.demo_entities or "[]")
    return [item for item in configured if isinstance(item, dict)]


def _entity(item: Any) -> tuple[str, str, str] | None:
    if not isinstance(item, dict):
        return None
    domain, entity_type, entity_id = (item.get(n) for n in ("domain", "entity_type", "entity_id"))
    if isinstance(domain, str) and isinstance(entity_type, str) and isinstance(entity_id, str):
        return (domain, entity_type, entity_id)
    return None


def _page(ctx: Context) -> bytes:
    config = {
        "entities": _entities(ctx),
        "sizes": {size.value: dims for size, dims in DIMENSIONS.items() if dims is not None},
    }
    # Inside a <script>: '</' must not end it early.
    return PAGE_HTML.replace("__CONFIG__", json.dumps(config).replace("</", "<\\/")).encode()


async def serve(request: Request, ctx: Context) -> Response | None:
    """The page or its attachments, or None for any other path (or when no page is set)."""
    if not ctx.settings.demo_entities:
        return None
    if request.path == PAGE_PATH and request.method in ("GET", "HEAD"):
        headers = {"content-type": _HTML_TYPE, "cache-control": "no-store"}
        return Response(200, headers, _page(ctx))
    if request.path == ATTACHMENTS_PATH and request.method == "POST":
        try:
            return await _attachments(request, ctx)
        except ServiceError as exc:
            return error_response(exc.status, exc.message)
    return None


async def _attachments(request: Request, ctx: Context) -> Response:
    media_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(JSON_ONLY_MESSAGE)
    body = parse_json_body(AttachmentsRequest, await request.read_body(MAX_JSON_BODY_BYTES))
    configured = {_entity(item): item for item in _entities(ctx)}
    asked = [configured.get(_entity(item)) for item in body.items]
    if None in asked:
        raise Forbidden(NOT_ON_THE_PAGE_MESSAGE)
    # The configured items, hints included: the caller chooses entities, never what is asked.
    text = await answer_items(ctx, asked, body.size.value, DEMO_CALLER)
    return data_response(text, NO_STORE)
