"""The JSON form of the image route: `Accept: application/json`, or `?format=json` for clients
that cannot set headers, answers 200 `{"data": <attachment>}` instead of the 302. Everything
before the answer (lookup, miss, errors, the 404 "no image") is the redirect's own: the GET
handler decides the form only once it holds a record with an image.

Both forms carry `Vary: Accept`; the JSON one `Cache-Control: no-cache` like the redirect (an
override bumps the version at any moment).
"""

from __future__ import annotations

from typing import Any

from rewind_images.context import Context
from rewind_images.http import Request, Response, data_response
from rewind_images.images.attachments.render import attachment_texts
from rewind_images.images.row import Entity, ImageRecord

JSON_MEDIA_TYPE = "application/json"
ATTACHMENT_HEADERS = {"cache-control": "no-cache", "vary": "Accept"}


def accepts_json(accept: str | None) -> bool:
    """Whether an Accept header asks for JSON: it lists `application/json` (not with q=0).
    Browsers' image and page requests never do, nor does `*/*`."""
    if not accept:
        return False
    accept = accept.lower()  # media types are case-insensitive
    if JSON_MEDIA_TYPE not in accept:
        return False
    for media_range in accept.split(","):
        media_type, *params = (part.strip() for part in media_range.split(";"))
        if media_type != JSON_MEDIA_TYPE:
            continue
        quality = next((p[2:].strip() for p in params if p.startswith("q=")), "1")
        try:
            if float(quality) > 0:
                return True
        except ValueError:
            return True  # a malformed q is read as the default, 1
    return False


def wants_json(request: Request, query: Any) -> bool:
    """Whether the image route should answer in its JSON form."""
    return query.format is not None or accepts_json(request.headers.get("accept"))


async def attachment_response(
    ctx: Context, entity: Entity, size: str, record: ImageRecord
) -> Response:
    """200 `{"data": <attachment>}` for a record with an image."""
    text = (await attachment_texts(ctx, [(entity, size, record)]))[(entity, size)]
    return data_response(text.text, ATTACHMENT_HEADERS)
