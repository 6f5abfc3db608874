"""The route table: every path the Worker serves, its access level and its documentation."""

from __future__ import annotations

from rewind_images.app import Operation, Route, pattern
from rewind_images.handlers import admin_images
from rewind_images.handlers.health import health
from rewind_images.handlers.images import get_image_redirect
from rewind_images.handlers.keys import create_key, list_keys, revoke_key
from rewind_images.handlers.openapi import openapi_document
from rewind_images.models import (
    Alternatives,
    Deleted,
    EntityPath,
    HealthResponse,
    ImageInfo,
    ImagePath,
    ImageQuery,
    KeyCreate,
    KeyCreated,
    KeyIdPath,
    KeyInfo,
    KeyList,
    OverrideRequest,
    PageQuery,
    ReanalyzeRequest,
    ReanalyzeResult,
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
    Route(
        "GET",
        pattern("/v1/admin/images/{domain}/{entity_type}/{entity_id}/alternatives"),
        admin_images.alternatives,
        "admin",
        "listImageAlternatives",
        Operation(
            "Every source's candidate images for an entity (stores nothing)",
            "Admin",
            path_model=EntityPath,
            query_model=ImageQuery,
            ok_model=Alternatives,
            errors=(400,),
        ),
    ),
    Route(
        "PUT",
        pattern("/v1/admin/images/{domain}/{entity_type}/{entity_id}"),
        admin_images.override,
        "admin",
        "overrideImage",
        Operation(
            "Override an entity's image with a URL (JSON) or an upload (multipart field image)",
            "Admin",
            path_model=EntityPath,
            body_model=OverrideRequest,
            upload_field="image",
            ok_model=ImageInfo,
            errors=(400, 413),
        ),
    ),
    Route(
        "DELETE",
        pattern("/v1/admin/images/{domain}/{entity_type}/{entity_id}/override"),
        admin_images.revert,
        "admin",
        "revertImageOverride",
        Operation(
            "Revert an override to the sources",
            "Admin",
            path_model=EntityPath,
            query_model=ImageQuery,
            ok_model=ImageInfo,
            errors=(400, 404, 502),
        ),
    ),
    Route(
        "DELETE",
        pattern("/v1/admin/images/{domain}/{entity_type}/{entity_id}"),
        admin_images.delete,
        "admin",
        "deleteImage",
        Operation(
            "Delete an entity's record and stored image",
            "Admin",
            path_model=EntityPath,
            ok_model=Deleted,
            errors=(400, 404),
        ),
    ),
    Route(
        "POST",
        pattern("/v1/admin/images/reanalyze"),
        admin_images.reanalyze,
        "admin",
        "reanalyzeImages",
        Operation(
            "Recompute ThumbHash and colours from stored images, one batch per call",
            "Admin",
            body_model=ReanalyzeRequest,
            ok_model=ReanalyzeResult,
            errors=(400,),
        ),
    ),
)
