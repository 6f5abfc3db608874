"""GET /v1/admin/images/{domain}/{entity_type}/{entity_id}/alternatives: every source's
candidates for an entity, and its current record; stores nothing.

What an admin is told about a failed source is a fixed phrase per kind of failure; the
exception's own text, which may carry URLs or runtime internals, goes to the log.
"""

from __future__ import annotations

from rewind_images.http import NO_STORE, Response, json_response
from rewind_images.images.admin.models import (
    Alternatives,
    CandidateInfo,
    CurrentImage,
    SourceFailure,
)
from rewind_images.images.inputs import EntityPath, ImageQuery
from rewind_images.images.resolution import search
from rewind_images.images.store import image_rows
from rewind_images.ports import (
    FetchBlocked,
    FetchNetworkError,
    FetchStatusError,
    FetchTimeout,
    FetchTooLarge,
    TooManyRedirects,
)
from rewind_images.routing import Call
from rewind_images.sources import SourceResponseError, sources_for

FAILURE_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (FetchTimeout, "timed out"),
    (FetchTooLarge, "answer too large"),
    (FetchBlocked, "URL not allowed"),
    (TooManyRedirects, "too many redirects"),
    (FetchNetworkError, "connection failed"),
    (SourceResponseError, "malformed answer"),
)
UNKNOWN_FAILURE = "failed"
BUDGET_SPENT = "budget spent, try again later"


def failure_reason(exc: search.SourceFailed) -> str:
    """The fixed phrase for a source's failure."""
    if isinstance(exc, search.BudgetSpent):
        return BUDGET_SPENT
    cause = exc.__cause__
    if isinstance(cause, FetchStatusError):
        return f"HTTP {cause.status}"
    for kind, reason in FAILURE_REASONS:
        if isinstance(cause, kind):
            return reason
    return UNKNOWN_FAILURE


async def alternatives(call: Call[EntityPath, ImageQuery, None]) -> Response:
    """Every source's candidates for the entity; stores nothing."""
    ctx, entity = call.ctx, call.path.entity
    wanted = search.source_query(entity, call.query)
    candidates: list[CandidateInfo] = []
    failures: list[SourceFailure] = []
    for source in sources_for(entity[0], entity[1]):
        try:
            found = await search.ask(ctx, source, wanted)
        except search.SourceFailed as exc:
            print(f"alternatives for {'/'.join(entity)}: {exc}")
            failures.append(SourceFailure(source=source.name, error=failure_reason(exc)))
            continue
        candidates += [CandidateInfo(**c.__dict__) for c in found]
    record = await image_rows.get_image(ctx.db, entity)
    current = None
    if record is not None:
        current = CurrentImage(
            source=record.source,
            source_url=record.source_url,
            is_override=record.is_override,
            image_version=record.image_version,
        )
    body = Alternatives(candidates=candidates, failures=failures, current=current)
    return json_response(body.dict(), headers=NO_STORE)
