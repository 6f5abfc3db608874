"""Admin key management: POST/GET /v1/admin/keys, DELETE /v1/admin/keys/{key_id}."""

from __future__ import annotations

import math
import secrets

from rewind_images.auth import ApiKey, auth_state
from rewind_images.context import Context
from rewind_images.errors import BadRequest, NotFound
from rewind_images.http import Request, Response, json_response
from rewind_images.keys import new_key_material
from rewind_images.models import (
    MAX_ROW_ID,
    KeyCreate,
    KeyCreated,
    KeyInfo,
    KeyList,
    PageQuery,
    Pagination,
    parse_body,
    parse_query_model,
)
from rewind_images.timestamps import iso_from_ms

KEY_RANDOM_BYTES = 24
KEY_COLUMNS = (
    "id, name, scope, key_prefix, key_hint, rate_limit_rpm, request_count, last_used_at,"
    " expires_at, is_active, created_at"
)


def _info(row: dict[str, object]) -> KeyInfo:
    return KeyInfo.parse_obj({**row, "is_active": bool(row["is_active"])})


async def create_key(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Mint a key; the raw key is in this answer only."""
    body = parse_body(KeyCreate, request.body)
    assert isinstance(body, KeyCreate)
    material = new_key_material(body.scope.value, secrets.token_urlsafe(KEY_RANDOM_BYTES))
    now = iso_from_ms(ctx.clock_ms())
    rows = await ctx.db.all(
        "INSERT INTO api_keys (key_hash, key_prefix, key_hint, name, scope, rate_limit_rpm,"
        f" expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {KEY_COLUMNS}",
        material.key_hash,
        material.prefix,
        material.hint,
        body.name,
        body.scope.value,
        body.rate_limit_rpm,
        body.expires_at_text(),
        now,
    )
    created = KeyCreated(**_info(rows[0]).dict(), key=material.raw)
    return json_response(created.dict(), status=201, headers={"cache-control": "no-store"})


async def list_keys(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Keys, newest first, paginated; prefixes and hints only."""
    page = parse_query_model(PageQuery, request.query)
    assert isinstance(page, PageQuery)
    total_row = await ctx.db.first("SELECT count(*) AS n FROM api_keys")
    total = int((total_row or {}).get("n") or 0)
    rows = await ctx.db.all(
        f"SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id DESC LIMIT ? OFFSET ?",
        page.limit,
        (page.page - 1) * page.limit,
    )
    listing = KeyList(
        data=[_info(r) for r in rows],
        pagination=Pagination(
            page=page.page,
            limit=page.limit,
            total=total,
            total_pages=math.ceil(total / page.limit) if total else 0,
        ),
    )
    return json_response(listing.dict(), headers={"cache-control": "no-store"})


async def revoke_key(
    request: Request, ctx: Context, params: dict[str, str], key: ApiKey | None
) -> Response:
    """Deactivate a key. It stops working at once in this isolate and within the auth cache
    lifetime (`settings.auth_cache_seconds`) everywhere."""
    key_id = params["key_id"]
    if not key_id.isdigit() or not 1 <= int(key_id) <= MAX_ROW_ID:
        raise BadRequest(f"Invalid key id: {key_id}")
    rows = await ctx.db.all(
        f"UPDATE api_keys SET is_active = 0 WHERE id = ? RETURNING {KEY_COLUMNS}", int(key_id)
    )
    if not rows:
        raise NotFound("Key not found")
    auth_state(ctx).forget()
    return json_response(_info(rows[0]).dict(), headers={"cache-control": "no-store"})
