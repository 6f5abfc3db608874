"""The key feature's routes (admin only)."""

from __future__ import annotations

from rewind_images.keys.key_handlers import create_key, list_keys, revoke_key
from rewind_images.keys.key_schemas import (
    KeyCreate,
    KeyCreated,
    KeyIdPath,
    KeyInfo,
    KeyList,
)
from rewind_images.pages import PageQuery
from rewind_images.routing import Operation, Route

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
