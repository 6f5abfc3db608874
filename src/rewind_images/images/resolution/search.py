"""Searching the sources for an entity's image: ask each source in order, and accept the first
candidate whose bytes download, validate and analyse.

    find
    ├─ ask        one source: build its request, fetch, parse -> candidates (best first)
    └─ accept     one candidate: download (guarded), validate (type, pixel bounds), analyse

A source that declines (no usable hint or secret) or knows nothing (404, no match, only
stand-in art: `sources.stand_ins`) adds nothing; a source or candidate that fails adds a
failure. `Search.found` is None when no
candidate was accepted: with failures the caller answers 502, without it records "no image".

A miss's work is bounded: at most `MAX_CANDIDATES_PER_SOURCE` candidates of each source, at
most `MAX_DOWNLOADS_PER_MISS` downloads in all; the caller bounds the whole search with one
deadline (`pipeline.bounded_search`), which also cuts a call in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rewind_images import budgets
from rewind_images.config import (
    MAX_API_RESPONSE_BYTES,
    MAX_CANDIDATES_PER_SOURCE,
    MAX_DOWNLOADS_PER_MISS,
)
from rewind_images.context import Context
from rewind_images.images.inputs import ImageQuery
from rewind_images.images.resolution.analysis import AnalysisFailed, analyse
from rewind_images.images.row import Entity
from rewind_images.imaging.features import ImageAnalysis
from rewind_images.imaging.orientation import displayed_size, exif_orientation
from rewind_images.imaging.sniff import content_type_acceptable, sniff_image_type
from rewind_images.ports import FetchError, FetchStatusError
from rewind_images.sources import (
    Candidate,
    Source,
    SourceQuery,
    SourceResponseError,
    sources_for,
)
from rewind_images.sources.stand_ins import is_stand_in


class SourceFailed(Exception):
    """A source could not be asked (timeout, 5xx, malformed answer); the message says how."""


class BudgetSpent(SourceFailed):
    """The upstream's budget (`config.BUDGETS`) has nothing left for now: asking it would go
    past its terms, so the source counts as failing (nothing is recorded; asked again later)."""


class CandidateRejected(Exception):
    """A candidate's bytes are not an acceptable image, or could not be fetched."""


class CandidateUnreachable(CandidateRejected):
    """A candidate's URL could not be fetched (blocked, timeout, error status, too large)."""


@dataclass
class Found:
    """A candidate whose bytes downloaded, validated and analysed."""

    candidate: Candidate
    body: bytes
    content_type: str
    width: int
    height: int
    analysis: ImageAnalysis


@dataclass
class Search:
    """What asking the sources produced."""

    found: Found | None = None
    failures: list[str] = field(default_factory=list)


def source_query(entity: Entity, query: ImageQuery) -> SourceQuery:
    """The sources' view of the request."""
    return SourceQuery(*entity, **query.hints())


def askable(ctx: Context, entity: Entity, query: ImageQuery) -> list[str]:
    """The sources a search with these hints would ask (the others decline: no usable hint or
    no secret configured)."""
    wanted = source_query(entity, query)
    return [
        source.name
        for source in sources_for(entity[0], entity[1])
        if source.request(wanted, ctx.settings) is not None
    ]


async def ask(ctx: Context, source: Source, wanted: SourceQuery) -> list[Candidate]:
    """One source's candidates, best first; [] when it declines or knows nothing (404)."""
    request = source.request(wanted, ctx.settings)
    if request is None:
        return []
    if not await budgets.spend(ctx, request.budget, request.budget_key):
        raise BudgetSpent(f"{source.name}: the {request.budget} budget is spent for now")
    try:
        response = await ctx.fetcher.get(
            request.url, headers=request.headers, max_bytes=MAX_API_RESPONSE_BYTES
        )
        # The final URL after redirects: relative URLs in a page resolve against it.
        found = source.parse(wanted, response.body, ctx.settings, final_url=response.url)
    except FetchStatusError as exc:
        if exc.status == 404:
            return []  # the upstream knows nothing of this entity: an empty answer
        raise SourceFailed(f"{source.name}: {exc}") from exc
    except (FetchError, SourceResponseError) as exc:
        raise SourceFailed(f"{source.name}: {exc}") from exc
    # Stand-in art (an upstream's "no image" picture) is no candidate, wherever it appears.
    return [candidate for candidate in found if not is_stand_in(candidate.url)]


async def find(ctx: Context, entity: Entity, query: ImageQuery) -> Search:
    """Ask the sources in order; stop at the first candidate that is accepted, or when the
    miss's bounds are used up."""
    search = Search()
    wanted = source_query(entity, query)
    downloads = 0
    for source in sources_for(entity[0], entity[1]):
        try:
            candidates = await ask(ctx, source, wanted)
        except SourceFailed as exc:
            search.failures.append(str(exc))
            continue
        for candidate in candidates[:MAX_CANDIDATES_PER_SOURCE]:
            if downloads >= MAX_DOWNLOADS_PER_MISS:
                search.failures.append(f"stopped after {downloads} downloads")
                return search
            downloads += 1
            try:
                search.found = await accept(ctx, candidate)
            except CandidateRejected as exc:
                search.failures.append(f"{candidate.source} {candidate.url}: {exc}")
                continue
            return search
    return search


async def accept(ctx: Context, candidate: Candidate) -> Found:
    """Download, validate and analyse one candidate; CandidateRejected when it fails."""
    try:
        response = await ctx.fetcher.get(candidate.url, headers={"accept": "image/*"})
    except FetchError as exc:
        raise CandidateUnreachable(str(exc)) from exc
    if not content_type_acceptable(response.content_type):
        raise CandidateRejected(f"content type {response.content_type!r} is not an image")
    return await validate(ctx, candidate, response.body)


async def validate(ctx: Context, candidate: Candidate, body: bytes) -> Found:
    """Check bytes are an image we take (magic bytes, decodable, within the pixel bounds) and
    analyse them; CandidateRejected otherwise."""
    kind = sniff_image_type(body)
    if kind is None:
        raise CandidateRejected("bytes are not JPEG, PNG, WebP, GIF or AVIF")
    try:
        meta = await ctx.transformer.info(body)
    except Exception as exc:
        raise CandidateRejected(f"undecodable image: {exc}") from exc
    settings = ctx.settings
    if max(meta.width, meta.height) > settings.max_source_side or (
        meta.width * meta.height > settings.max_source_megapixels * 1_000_000
    ):
        raise CandidateRejected(f"{meta.width}x{meta.height} is over the pixel limits")
    try:
        analysis = await analyse(ctx, body)
    except AnalysisFailed as exc:
        raise CandidateRejected(str(exc)) from exc
    # `info` reports the stored size; the transforms (and browsers) show the EXIF-turned one,
    # which is the size the analysis images, the placeholder and the CDN's variants have.
    width, height = displayed_size(meta.width, meta.height, exif_orientation(body))
    return Found(candidate, body, kind, width, height, analysis)
