"""Items naming an entity in a JSON body (attachment batches, backfills, queue messages).

    {"domain": "listening", "entity_type": "albums", "entity_id": "a1", "size": "medium",
     "artist_name": "...", "album_name": "...", "mbid": "...", "tmdb_id": "...",
     "article_url": "..."}

Each item is read on its own with the image route's own models (`ImagePath`, `ImageQuery`), so
it gets exactly the message a single GET for the same entity would get (`Invalid domain: X`,
`Invalid mbid`, ...), and one bad item spoils only its own answer. `size` is optional (the
batch's size applies) and only read where a size matters; hints are optional; other fields are
ignored. `entity_id` and `tmdb_id` may also be JSON integers (callers often hold numeric ids).

Readings of short items are memoised per isolate like routing's plans, so a page
asking for the same entities again pays a dict lookup per item, not a pydantic validation; the
memo is bounded by entries and holds only items whose text fits `MEMO_MAX_REQUEST_LENGTH`. An
invalid item's fields are echoed as `validation.shown` cuts them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rewind_images.config import MEMO_MAX_REQUEST_LENGTH, VALIDATION_MEMO_MAX_ENTRIES
from rewind_images.context import Context, isolate_object
from rewind_images.errors import BadRequest
from rewind_images.images.inputs import HINT_NAMES, EntityPath, ImagePath, ImageQuery
from rewind_images.images.row import Entity
from rewind_images.memo import BoundedDict, fits
from rewind_images.validation import ApiModel, parse_path, parse_query, shown

NOT_AN_OBJECT_MESSAGE = "Item must be a JSON object"
_FIELDS = ("domain", "entity_type", "entity_id", "size", *HINT_NAMES)
_PLAIN = frozenset({str, type(None)})
# Numbers callers may send for these fields (as their decimal text).
_NUMERIC_FIELDS = frozenset({"entity_id", "tmdb_id"})


REF_TEMPLATE = "#/definitions/{model}"
"""Where the OpenAPI document keeps schemas (routes with item lists document their items)."""


class ItemModel(ImageQuery, EntityPath):
    """An entity, with the hints its sources need (the documented item schema)."""

    messages: ClassVar[dict[str, str]] = {}

    class Config:
        title = "EntityItem"
        extra = "ignore"


class ItemsBody(ApiModel):
    """A body whose `items` are read one by one afterwards (`read_items`: one bad item spoils
    only its own answer), so the model takes them as given; its documented schema is the
    strict one of `documented_as`."""

    documented_as: ClassVar[type[ApiModel]]

    @classmethod
    def schema(cls, by_alias: bool = True, ref_template: str = REF_TEMPLATE) -> dict[str, Any]:
        """The documented schema (strict items)."""
        return cls.documented_as.schema(by_alias=by_alias, ref_template=ref_template)


def item_list(value: Any, limit: int) -> list[Any]:
    """A body's `items`: an array of 1 to `limit` items, each read on its own afterwards."""
    if not isinstance(value, list) or not 1 <= len(value) <= limit:
        raise ValueError(f"must be an array of 1 to {limit} items")
    return value


@dataclass(frozen=True)
class EntityItem:
    """A valid item: the entity, the size asked for ('' where no size is read), the hints."""

    entity: Entity
    size: str
    query: ImageQuery


@dataclass(frozen=True)
class BadItem:
    """An invalid item: the message, and its domain/entity_type/entity_id/size as given
    (None where the item has no usable text) to echo in its answer."""

    message: str
    domain: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    size: str | None = None


Reading = EntityItem | BadItem


class _ItemMemo(BoundedDict[tuple[Any, ...], Reading]):
    def __init__(self) -> None:
        super().__init__(VALIDATION_MEMO_MAX_ENTRIES)


def read_items(ctx: Context, raws: Sequence[Any], size: str | None) -> list[Reading]:
    """Read items; `size` is the size that applies to an item that names none (None: sizes
    are not read at all, as for backfills and queue messages)."""
    memo = isolate_object(ctx, "entity_items", _ItemMemo)
    readings: list[Reading] = []
    for raw in raws:
        if not isinstance(raw, dict):
            readings.append(BadItem(NOT_AN_OBJECT_MESSAGE, size=size))
            continue
        values = tuple(map(raw.get, _FIELDS))
        # Numbers and odd values are not memoised (1 == 1.0 == True as keys), nor long texts.
        if not set(map(type, values)) <= _PLAIN or not fits(values, MEMO_MAX_REQUEST_LENGTH):
            readings.append(_read(raw, size))
            continue
        key = (size, *values)
        reading = memo.get(key)
        if reading is None:
            reading = memo[key] = _read(raw, size)
        readings.append(reading)
    return readings


def _text(raw: dict[str, Any], name: str) -> str | None:
    """A field as text for validation: strings as given, integers as digits where a number is
    accepted, absent as ''; None for anything else (the field is then invalid)."""
    value = raw.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if name in _NUMERIC_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _read(raw: dict[str, Any], size: str | None) -> Reading:
    params: dict[str, str] = {}
    for name in ("domain", "entity_type", "entity_id"):
        text = _text(raw, name)
        # A value of the wrong type fails like its JSON text would ('' fails an entity id).
        params[name] = (
            text if text is not None else ("" if name == "entity_id" else _json(raw[name]))
        )
    model: type[EntityPath] = EntityPath
    size_echo = None
    if size is not None:
        model = ImagePath
        given = raw.get("size")
        size_text = size if given is None else given if isinstance(given, str) else None
        params["size"] = size_text if size_text is not None else _json(given)
        size_echo = shown(size_text) if size_text is not None else None
    try:
        path = parse_path(model, params)
        query = parse_query(ImageQuery, _hints(raw))
    except BadRequest as exc:
        return BadItem(
            exc.message,
            domain=_echo(raw, "domain"),
            entity_type=_echo(raw, "entity_type"),
            entity_id=_echo(raw, "entity_id"),
            size=size_echo,
        )
    size_asked = path.size.value if isinstance(path, ImagePath) else ""
    return EntityItem(path.entity, size_asked, query)


def _hints(raw: dict[str, Any]) -> dict[str, list[str]]:
    """The item's hints as query values (absent and null ones left out)."""
    hints: dict[str, list[str]] = {}
    for name in HINT_NAMES:
        if raw.get(name) is None:
            continue
        text = _text(raw, name)
        if text is None:
            raise BadRequest(f"Invalid {name}")  # the message parse_query gives a bad hint
        hints[name] = [text]
    return hints


def _echo(raw: dict[str, Any], name: str) -> str | None:
    text = _text(raw, name)
    return shown(text) if text is not None and raw.get(name) is not None else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
