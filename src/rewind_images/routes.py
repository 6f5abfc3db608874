"""The route table: every path the Worker serves, its access level and its documentation."""

from __future__ import annotations

from rewind_images.app import Operation, Route, pattern
from rewind_images.handlers.health import health
from rewind_images.handlers.images import get_image_redirect
from rewind_images.handlers.keys import create_key, list_keys, revoke_key
from rewind_images.handlers.openapi import openapi_document
from rewind_images.models import (
    HealthResponse,
    ImagePath,
    ImageQuery,
    KeyCreate,
    KeyCreated,
    KeyIdPath,
    KeyInfo,
    KeyList,
    PageQuery,
)

IMAGE_DOC = Operation(
    summary="Get image by entity",
    tag="Images",
    description="Serve image via CDN redirect. Triggers the image pipeline on cache miss. "
    "Returns a 302 redirect to the CDN URL with metadata in response headers.",
    path_model=ImagePath,
    query_model=ImageQuery,
    ok_status=302,
    ok_description="Redirect to CDN image URL. Metadata returned via X-ThumbHash, "
    "X-Dominant-Color, X-Accent-Color headers.",
    errors=(400, 401, 404, 502, 503),
)

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        pattern("/v1/health"),
        health,
        "public",
        "getHealth",
        Operation("Health check", "System", ok_model=HealthResponse),
    ),
    Route(
        "GET",
        pattern("/v1/openapi.json"),
        openapi_document,
        "public",
        "getOpenApi",
        Operation("This OpenAPI document", "System"),
    ),
    Route(
        "GET",
        pattern("/v1/images/{domain}/{entity_type}/{entity_id}/{size}"),
        get_image_redirect,
        "read",
        "getImage",
        IMAGE_DOC,
    ),
    Route(
        "POST",
        pattern("/v1/admin/keys"),
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
        pattern("/v1/admin/keys"),
        list_keys,
        "admin",
        "listApiKeys",
        Operation("List API keys", "Admin", query_model=PageQuery, ok_model=KeyList, errors=(400,)),
    ),
    Route(
        "DELETE",
        pattern("/v1/admin/keys/{key_id}"),
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
