"""Admin key management: POST/GET /v1/admin/keys, DELETE /v1/admin/keys/{key_id}."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from rewind_images.config import MAX_KEY_LIFETIME_DAYS
from rewind_images.errors import BadRequest, NotFound
from rewind_images.http import NO_STORE, Response, json_response
from rewind_images.keys import store
from rewind_images.keys.authentication import auth_state
from rewind_images.keys.material import KEY_RANDOM_BYTES, new_key_material
from rewind_images.keys.schemas import (
    KeyCreate,
    KeyCreated,
    KeyIdPath,
    KeyInfo,
    KeyList,
)
from rewind_images.pages import PageQuery, Pagination
from rewind_images.routing import Call, Operation, Route
from rewind_images.timestamps import iso_from_ms

EXPIRY_RANGE_MESSAGE = "Invalid expires_at: must be in the future and at most ten years ahead"


def _check_expiry(expires_at: datetime | None, now_ms: int) -> None:
    """A key's expiry must lie ahead, and not further than `MAX_KEY_LIFETIME_DAYS`."""
    if expires_at is None:
        return
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    if not now < expires_at <= now + timedelta(days=MAX_KEY_LIFETIME_DAYS):
        raise BadRequest(EXPIRY_RANGE_MESSAGE)


def _info(row: dict[str, Any]) -> KeyInfo:
    return KeyInfo.parse_obj({**row, "is_active": bool(row["is_active"])})


async def create_key(call: Call[None, None, KeyCreate]) -> Response:
    """Mint a key; the raw key is in this answer only."""
    ctx, body = call.ctx, call.body
    _check_expiry(body.expires_at, ctx.clock_ms())
    material = new_key_material(body.scope.value, secrets.token_urlsafe(KEY_RANDOM_BYTES))
    row = await store.insert_key(
        ctx.db,
        store.NewKey(
            material=material,
            name=body.name,
            scope=body.scope.value,
            rate_limit_rpm=body.rate_limit_rpm,
            expires_at=body.expires_at_text(),
            created_at=iso_from_ms(ctx.clock_ms()),
        ),
    )
    created = KeyCreated(**_info(row).dict(), key=material.raw)
    return json_response(created.dict(), status=201, headers=NO_STORE)


async def list_keys(call: Call[None, PageQuery, None]) -> Response:
    """Keys, newest first, paginated; prefixes and hints only."""
    ctx, page = call.ctx, call.query
    total = await store.count_keys(ctx.db)
    rows = await store.list_keys(ctx.db, limit=page.limit, offset=page.offset)
    listing = KeyList(data=[_info(r) for r in rows], pagination=Pagination.of(page, total))
    return json_response(listing.dict(), headers=NO_STORE)


async def revoke_key(call: Call[KeyIdPath, None, None]) -> Response:
    """Deactivate a key. It stops working at once in this isolate and within the auth cache
    lifetime (`settings.auth_cache_seconds`) everywhere."""
    row = await store.revoke_key(call.ctx.db, call.path.key_id)
    if row is None:
        raise NotFound("Key not found")
    auth_state(call.ctx).forget()
    return json_response(_info(row).dict(), headers=NO_STORE)


KEY_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/v1/admin/keys",
        create_key,
        "admin",
        "createApiKey",
        Operation(
            "Create an API key (the raw key is returned once)",
            "Admin",
            body_model=KeyCreate,
            ok_status=201,
            ok_model=KeyCreated,
            ok_description="Created",
            errors=(400,),
        ),
    ),
    Route(
        "GET",
        "/v1/admin/keys",
        list_keys,
        "admin",
        "listApiKeys",
        Operation("List API keys", "Admin", query_model=PageQuery, ok_model=KeyList, errors=(400,)),
    ),
    Route(
        "DELETE",
        "/v1/admin/keys/{key_id}",
        revoke_key,
        "admin",
        "revokeApiKey",
        Operation(
            "Revoke an API key",
            "Admin",
            path_model=KeyIdPath,
            ok_model=KeyInfo,
            errors=(400, 404),
        ),
    ),
)
