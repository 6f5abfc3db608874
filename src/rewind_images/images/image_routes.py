"""The image feature's routes: the redirect and the admin image operations."""

from __future__ import annotations

from rewind_images.images import image_admin
from rewind_images.images.image_handlers import get_image
from rewind_images.images.image_schemas import (
    Alternatives,
    Deleted,
    EntityPath,
    ImagePath,
    ImageQuery,
    ImageRecordInfo,
    OverrideRequest,
    ReanalyzeRequest,
    ReanalyzeResult,
)
from rewind_images.routing import Operation, Route

ENTITY = "/v1/admin/images/{domain}/{entity_type}/{entity_id}"

IMAGE_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/v1/images/{domain}/{entity_type}/{entity_id}/{size}",
        get_image,
        "read",
        "getImage",
        Operation(
            summary="Get image by entity",
            tag="Images",
            description="Serve image via CDN redirect. Triggers the image pipeline on cache "
            "miss. Returns a 302 redirect to the CDN URL with metadata in response headers.",
            path_model=ImagePath,
            query_model=ImageQuery,
            ok_status=302,
            ok_description="Redirect to CDN image URL. Metadata returned via X-ThumbHash, "
            "X-Dominant-Color, X-Accent-Color headers.",
            errors=(400, 401, 404, 502, 503),
        ),
    ),
    Route(
        "GET",
        f"{ENTITY}/alternatives",
        image_admin.alternatives,
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
        ENTITY,
        image_admin.override,
        "admin",
        "overrideImage",
        Operation(
            "Override an entity's image with a URL (JSON) or an upload (multipart field image)",
            "Admin",
            path_model=EntityPath,
            body_model=OverrideRequest,
            upload_field="image",
            ok_model=ImageRecordInfo,
            errors=(400, 413),
        ),
    ),
    Route(
        "DELETE",
        f"{ENTITY}/override",
        image_admin.revert,
        "admin",
        "revertImageOverride",
        Operation(
            "Revert an override to the sources",
            "Admin",
            path_model=EntityPath,
            query_model=ImageQuery,
            ok_model=ImageRecordInfo,
            errors=(400, 404, 502),
        ),
    ),
    Route(
        "DELETE",
        ENTITY,
        image_admin.delete,
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
        "/v1/admin/images/reanalyze",
        image_admin.reanalyze,
        "admin",
        "reanalyzeImages",
        Operation(
            "Recompute ThumbHash and colours from stored images, one batch per call",
            "Admin",
            body_model=ReanalyzeRequest,
            body_optional=True,
            ok_model=ReanalyzeResult,
            errors=(400,),
        ),
    ),
)
