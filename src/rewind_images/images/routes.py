"""The image feature's routes: the redirect (and its JSON form) as `HIT_ROUTE`, and the others
(the attachment batch, the admin image operations, the backfill among them) as `IMAGE_ROUTES`."""

from __future__ import annotations

from rewind_images.images.admin import alternatives, listing, overrides, reanalysis, removal
from rewind_images.images.admin.models import (
    Alternatives,
    Deleted,
    ImageRecordInfo,
    OverrideRequest,
    ReanalyzeRequest,
    ReanalyzeResult,
)
from rewind_images.images.attachments.batch import post_attachments
from rewind_images.images.attachments.payloads import (
    AttachmentAnswer,
    AttachmentsAnswer,
    AttachmentsRequest,
)
from rewind_images.images.background.backfill import BackfillRequest, BackfillResult, backfill
from rewind_images.images.hit.redirect import get_image
from rewind_images.images.inputs import EntityPath, ImagePath, ImageQuery, ImageRouteQuery
from rewind_images.routing import Answer, Operation, Route

ENTITY = "/v1/admin/images/{domain}/{entity_type}/{entity_id}"

HIT_ROUTE = Route(
    "GET",
    "/v1/images/{domain}/{entity_type}/{entity_id}/{size}",
    get_image,
    "read",
    "getImage",
    Operation(
        summary="Get image by entity",
        tag="Images",
        description="Serve image via CDN redirect. Triggers the image pipeline on cache "
        "miss. Returns a 302 redirect to the CDN URL with metadata in response headers. "
        "With `Accept: application/json` (or `format=json`) answers 200 with the "
        "attachment instead, after the same lookup, miss and errors (`Vary: Accept`).",
        path_model=ImagePath,
        query_model=ImageRouteQuery,
        ok_status=302,
        ok_description="Redirect to CDN image URL. Metadata returned via X-ThumbHash, "
        "X-Dominant-Color, X-Accent-Color headers.",
        errors=(400, 401, 404, 502, 503),
        more_answers=(Answer(200, "The JSON form: the attachment.", AttachmentAnswer),),
    ),
)
"""The hot path (the app matches it first)."""

IMAGE_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/v1/images/attachments",
        post_attachments,
        "read",
        "getImageAttachments",
        Operation(
            summary="Attachments of up to 100 entities",
            tag="Images",
            description="One result per item, in request order: `ready` with the attachment, "
            "`none` (no image exists, or no source can be asked with the item's hints: nothing "
            "queued), `pending` (queued for background resolution, or past the key's miss "
            "budget; ask again later), `failed` (the background resolution failed on every "
            "try; queued again after FAILED_RETRY_SECONDS or with other hints) or `invalid` "
            "(with the message a single GET would get). Every status is decided by the same "
            "rules as a GET miss; misses are never resolved inline, and each one queued spends "
            "one unit of the key's miss budget. Costs ceil(items / 10) requests of the key's "
            "rate limit.",
            body_model=AttachmentsRequest,
            ok_model=AttachmentsAnswer,
            errors=(400, 413),
        ),
    ),
    Route(
        "GET",
        "/v1/admin/images",
        listing.list_images,
        "admin",
        "listImages",
        Operation(
            "List image rows of every domain, newest first",
            "Admin",
            description="Every row of the `images` table as stored, also rows of domains this "
            "service does not serve (they share the table), filtered by exact `domain`, "
            '`entity_type`, `status` (`ready`, `none`: a recorded "no image", `override`) '
            "and `source`, paginated with `page` and `limit`.",
            query_model=listing.ImageListQuery,
            ok_model=listing.ImageList,
            errors=(400,),
        ),
    ),
    Route(
        "GET",
        f"{ENTITY}/alternatives",
        alternatives.alternatives,
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
        overrides.override,
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
        overrides.revert,
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
        removal.delete,
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
        "/v1/admin/images/backfill",
        backfill,
        "admin",
        "backfillImages",
        Operation(
            "Queue the background resolution of up to 1,000 entities",
            "Admin",
            description="Each item passes the same rules as a GET miss (no miss budget is "
            "spent): `queued`, `recorded` (it has its record), `unaskable` (no source can be "
            "asked with its hints), `failed` (dead-lettered lately, same hints) or `invalid`.",
            body_model=BackfillRequest,
            ok_model=BackfillResult,
            errors=(400, 413),
        ),
    ),
    Route(
        "POST",
        "/v1/admin/images/reanalyze",
        reanalysis.reanalyze,
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
