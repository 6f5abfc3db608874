"""The miss pipeline: find a source image, store it, analyse it, record it.

    resolve
    ├─ claim           one run per entity (D1 `image_claims`, with a lease); others wait for it
    ├─ find            sources in order; the first candidate whose bytes download and validate
    ├─ store           original bytes to R2 (content type, immutable cache, custom metadata)
    ├─ analyse         Images binding -> two small PNGs -> decode -> ThumbHash, colours
    └─ record          one D1 transaction: upsert the row, release the claim

Outcomes: an image -> record (302); every source says "nothing" -> a "no image" record (404,
asked again after the negative TTL); sources failing (timeouts, 5xx, bad bytes) -> 502 and
nothing recorded. R2 and D1 never disagree: the object is written before the row that names
it, and removed again if the row cannot be written.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from rewind_images.context import Context
from rewind_images.errors import ServiceUnavailable, UpstreamError
from rewind_images.imaging import COLOUR_MAX_SIDE, PngError, analyse_images
from rewind_images.imaging.sniff import EXTENSIONS, content_type_acceptable, sniff_image_type
from rewind_images.models import ImagePath, ImageQuery
from rewind_images.presets import r2_key
from rewind_images.records import (
    ImageRecord,
    NewImage,
    claim,
    claim_held,
    get_image,
    record_and_release,
    release,
)
from rewind_images.sources import (
    Candidate,
    Source,
    SourceQuery,
    SourceResponseError,
    sources_for,
)
from rewind_images.timestamps import iso_from_ms

# The hash image's long side. ThumbHash terms are low-frequency, so 32 px gives the same kind
# of hash as 100 px at a fraction of the cost. The colours come from a larger reduction,
# COLOUR_MAX_SIDE (imaging/analysis.py), so that fine detail does not blend into new colours.
ANALYSIS_MAX_SIDE = 32
MAX_API_RESPONSE_BYTES = 2 * 1024 * 1024
ORIGINAL_CACHE_CONTROL = "public, max-age=31536000, immutable"
CLAIM_LEASE_MS = 60_000
CLAIM_POLL_INTERVAL_S = 0.1
CLAIM_WAIT_MS = 30_000
UPSTREAM_FAILED_MESSAGE = "Image sources failed; try again later"

Entity = tuple[str, str, str]


@dataclass
class Found:
    """A candidate whose bytes downloaded and validated."""

    candidate: Candidate
    body: bytes
    content_type: str
    width: int
    height: int


@dataclass
class Search:
    """What asking the sources produced."""

    found: Found | None = None
    failures: list[str] = field(default_factory=list)


async def resolve(
    ctx: Context, path: ImagePath, query: ImageQuery, *, previous: ImageRecord | None
) -> ImageRecord:
    """The entity's record after running the pipeline (or joining a run already under way)."""
    entity: Entity = (path.domain.value, path.entity_type.value, path.entity_id)
    # Concurrent misses meet at the D1 claim, also inside one isolate: workerd cancels a
    # request that awaits a promise created by another request, so callers cannot share an
    # in-memory future; each waits with its own D1 polls instead.
    return await _resolve(ctx, entity, query, previous)


async def _resolve(
    ctx: Context, entity: Entity, query: ImageQuery, previous: ImageRecord | None
) -> ImageRecord:
    token = secrets.token_hex(16)
    if not await claim(ctx.db, entity, token, ctx.clock_ms(), CLAIM_LEASE_MS):
        return await _await_other(ctx, entity, previous)
    try:
        # Someone may have finished between our read and our claim: use their result.
        current = await get_image(ctx.db, *entity)
        if current is not None and current != previous:
            await release(ctx.db, entity, token)
            return current
        return await _run(ctx, entity, query, token, current)
    except BaseException:
        await release(ctx.db, entity, token)
        raise


@asynccontextmanager
async def exclusive(ctx: Context, entity: Entity) -> AsyncIterator[str]:
    """Hold the entity's claim for an admin write, waiting for a pipeline run to finish, so an
    override or revert never interleaves with the pipeline's writes to the same key."""
    token = secrets.token_hex(16)
    deadline = ctx.clock_ms() + CLAIM_WAIT_MS
    while not await claim(ctx.db, entity, token, ctx.clock_ms(), CLAIM_LEASE_MS):
        if ctx.clock_ms() >= deadline:
            raise ServiceUnavailable("Image is being prepared; try again shortly")
        await asyncio.sleep(CLAIM_POLL_INTERVAL_S)
    try:
        yield token
    finally:
        await release(ctx.db, entity, token)


async def _await_other(ctx: Context, entity: Entity, previous: ImageRecord | None) -> ImageRecord:
    """Another isolate holds the claim: wait for its result."""
    deadline = ctx.clock_ms() + CLAIM_WAIT_MS
    while ctx.clock_ms() < deadline:
        await asyncio.sleep(CLAIM_POLL_INTERVAL_S)
        if await claim_held(ctx.db, entity):
            continue
        record = await get_image(ctx.db, *entity)
        if record is not None and record != previous:
            return record
        raise UpstreamError(UPSTREAM_FAILED_MESSAGE)
    raise ServiceUnavailable("Image is still being prepared; try again shortly")


async def _run(
    ctx: Context, entity: Entity, query: ImageQuery, token: str, previous: ImageRecord | None
) -> ImageRecord:
    search = await find(ctx, entity, query)
    now_iso = iso_from_ms(ctx.clock_ms())
    hints = _hints(query)
    if search.found is None:
        if search.failures:
            print(f"sources failed for {'/'.join(entity)}: {'; '.join(search.failures)}")
            raise UpstreamError(UPSTREAM_FAILED_MESSAGE)
        image = NewImage.nothing(hints)
        return await _record(ctx, entity, token, image, now_iso, previous, new_key=None)

    image = await store_and_analyse(ctx, entity, search.found, hints)
    return await _record(ctx, entity, token, image, now_iso, previous, new_key=image.r2_key)


async def store_and_analyse(
    ctx: Context, entity: Entity, found: Found, hints: str | None
) -> NewImage:
    """Analyse validated bytes, put them in R2 under the entity's key, describe the result."""
    analysis = await analyse(ctx, found.body)
    key = r2_key(*entity, EXTENSIONS[found.content_type])
    await ctx.bucket.put(
        key,
        found.body,
        content_type=found.content_type,
        cache_control=ORIGINAL_CACHE_CONTROL,
        custom_metadata={
            "x-source": found.candidate.source,
            "x-source-url": found.candidate.url,
            "x-dimensions": f"{found.width}x{found.height}",
        },
    )
    return NewImage(
        r2_key=key,
        source=found.candidate.source,
        source_url=found.candidate.url,
        width=found.width,
        height=found.height,
        thumbhash=analysis.thumbhash,
        dominant_color=analysis.dominant,
        accent_color=analysis.accent,
        search_hints=hints,
    )


async def _record(
    ctx: Context,
    entity: Entity,
    token: str,
    image: NewImage,
    now_iso: str,
    previous: ImageRecord | None,
    *,
    new_key: str | None,
) -> ImageRecord:
    # `previous` was read after taking the claim; while we hold it nobody else writes the row.
    try:
        record = await record_and_release(ctx.db, entity, token, image, now_iso)
    except Exception:
        if new_key is not None and (previous is None or previous.r2_key != new_key):
            await ctx.bucket.delete([new_key])  # no object without its row
        raise
    if record is None:
        # An override was written meanwhile: it wins, and our object must not linger.
        current = await get_image(ctx.db, *entity)
        if new_key is not None and (current is None or current.r2_key != new_key):
            await ctx.bucket.delete([new_key])
        if current is None:
            raise UpstreamError(UPSTREAM_FAILED_MESSAGE)
        return current
    if previous is not None and previous.r2_key and previous.r2_key != record.r2_key:
        await ctx.bucket.delete([previous.r2_key])  # the old extension's object
    return record


def _hints(query: ImageQuery) -> str | None:
    used = {k: v for k, v in query.dict().items() if v is not None}
    return json.dumps(used, sort_keys=True) if used else None


def source_query(entity: Entity, query: ImageQuery) -> SourceQuery:
    """The sources' view of the request."""
    return SourceQuery(*entity, **query.dict())


class SourceFailed(Exception):
    """A source could not be asked (timeout, 5xx, malformed answer); the message says how."""


async def ask(ctx: Context, source: Source, wanted: SourceQuery) -> list[Candidate]:
    """One source's candidates, best first; [] when it declines or knows nothing (404)."""
    request = source.request(wanted, ctx.settings)
    if request is None:
        return []
    try:
        response = await ctx.fetcher.get(
            request.url, headers=request.headers, max_bytes=MAX_API_RESPONSE_BYTES
        )
        return source.parse(wanted, response.body, ctx.settings)
    except UpstreamError as exc:
        if getattr(exc, "status", None) == 404:
            return []  # the upstream knows nothing of this entity: an empty answer
        raise SourceFailed(f"{source.name}: {exc.message}") from exc
    except SourceResponseError as exc:
        raise SourceFailed(f"{source.name}: {exc}") from exc


async def find(ctx: Context, entity: Entity, query: ImageQuery) -> Search:
    """Ask the sources in order; stop at the first candidate that downloads and validates."""
    search = Search()
    wanted = source_query(entity, query)
    for source in sources_for(entity[0], entity[1]):
        try:
            candidates = await ask(ctx, source, wanted)
        except SourceFailed as exc:
            search.failures.append(str(exc))
            continue
        for candidate in candidates:
            try:
                search.found = await download(ctx, candidate)
            except (UpstreamError, CandidateRejected) as exc:
                search.failures.append(f"{candidate.source} {candidate.url}: {exc}")
                continue
            return search
    return search


class CandidateRejected(Exception):
    """A candidate's bytes are not an acceptable image."""


async def download(ctx: Context, candidate: Candidate) -> Found:
    """Download and validate one candidate."""
    response = await ctx.fetcher.get(candidate.url, headers={"accept": "image/*"})
    if not content_type_acceptable(response.content_type):
        raise CandidateRejected(f"content type {response.content_type!r} is not an image")
    return await validate(ctx, candidate, response.body)


async def validate(ctx: Context, candidate: Candidate, body: bytes) -> Found:
    """Check bytes are an image we take: type by magic bytes, decodable, within pixel bounds."""
    kind = sniff_image_type(body)
    if kind is None:
        raise CandidateRejected("bytes are not JPEG, PNG, WebP, GIF or AVIF")
    try:
        info = await ctx.images.info(body)
    except Exception as exc:
        raise CandidateRejected(f"undecodable image: {exc}") from exc
    settings = ctx.settings
    if max(info.width, info.height) > settings.max_source_side or (
        info.width * info.height > settings.max_source_megapixels * 1_000_000
    ):
        raise CandidateRejected(f"{info.width}x{info.height} is over the pixel limits")
    return Found(candidate, body, kind, info.width, info.height)


@dataclass(frozen=True)
class Analysis:
    """Placeholder data for the redirect headers."""

    thumbhash: str
    dominant: str | None
    accent: str | None


async def analyse(ctx: Context, body: bytes) -> Analysis:
    """Shrink through the Images binding twice (aspect ratio kept), decode, hash, colour."""
    hash_png, colour_png = await asyncio.gather(
        ctx.images.to_png(body, ANALYSIS_MAX_SIDE), ctx.images.to_png(body, COLOUR_MAX_SIDE)
    )
    return analyse_png(hash_png, colour_png)


def analyse_png(hash_png: bytes, colour_png: bytes) -> Analysis:
    """The pure part of the analysis (also benchmarked on its own)."""
    try:
        result = analyse_images(hash_png, colour_png)
    except (PngError, ValueError) as exc:
        raise UpstreamError(f"analysis image undecodable: {exc}") from exc
    return Analysis(result.thumbhash, result.dominant, result.accent)
