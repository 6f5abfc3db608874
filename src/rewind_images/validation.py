"""Validating requests with pydantic models (pydantic 1.10: the pydantic that runs inside the
Worker). The same models generate `/v1/openapi.json`, so the document matches behaviour.

Routing calls `parse_path`, `parse_query` and `parse_json_body` with the models a route
declares; each failure is a `BadRequest` whose message names the first bad field. A model may
map fields to the API's own messages with `messages` (e.g. `Invalid domain: X`).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, Field, ValidationError

from rewind_images.config import MAX_ECHO_LENGTH, MAX_JSON_DEPTH
from rewind_images.errors import BadRequest
from rewind_images.json_nesting import nesting_exceeds
from rewind_images.rules import CONTROL_CHARACTERS, SURROGATES

TOO_DEEP_MESSAGE = "Body is nested too deeply"
INVALID_JSON_MESSAGE = "Body is not valid JSON"

M = TypeVar("M", bound=BaseModel)


def _mark_nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """pydantic 1 leaves `None` out of Optional fields' schemas; say it, so the OpenAPI
    document matches the `null`s the API returns."""
    for name, model_field in model.__fields__.items():
        prop = schema.get("properties", {}).get(model_field.alias or name)
        if prop is None or not model_field.allow_none:
            continue
        if isinstance(prop.get("type"), str):
            prop["type"] = [prop["type"], "null"]
        elif "$ref" in prop or "allOf" in prop:
            inner = {k: prop.pop(k) for k in ("$ref", "allOf") if k in prop}
            prop["anyOf"] = [inner, {"type": "null"}]


class ApiModel(BaseModel):
    """Base of the API's models. `messages`: field -> message template (`{value}`)."""

    messages: ClassVar[dict[str, str]] = {}

    class Config:
        schema_extra = staticmethod(_mark_nullable)


def check_text(value: str | None, what: str) -> str | None:
    """Refuse control characters (pydantic 1's `$` lets a final newline through a pattern) and
    lone surrogates (not encodable text)."""
    if value is not None:
        if CONTROL_CHARACTERS.search(value):
            raise ValueError(f"{what} contains control characters")
        if SURROGATES.search(value):
            raise ValueError(f"{what} is not valid text")
    return value


def shown(value: Any) -> str:
    """A value as an answer may echo it: text as given, anything else as its JSON text; lone
    surrogates replaced, and cut to `MAX_ECHO_LENGTH` characters with an ellipsis."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = type(value).__name__
    if len(text) > MAX_ECHO_LENGTH:
        text = text[:MAX_ECHO_LENGTH] + "\u2026"
    return SURROGATES.sub("\ufffd", text)


class ErrorResponse(ApiModel):
    """The error envelope of every non-2xx/3xx answer."""

    error: str = Field(..., example="Not found")
    status: int = Field(..., example=404)


def _first_error_field(exc: ValidationError) -> str:
    errors = exc.errors()
    return str(errors[0]["loc"][0]) if errors else ""


def parse_path(model: type[M], params: dict[str, str]) -> M:
    """Validate captured path segments; BadRequest with the model's message for the field."""
    try:
        return model.parse_obj(params)
    except ValidationError as exc:
        field = _first_error_field(exc)
        messages: dict[str, str] = getattr(model, "messages", {})
        template = messages.get(field, "Invalid path")
        raise BadRequest(template.format(value=shown(params.get(field, "")))) from exc


def parse_query(model: type[M], query: dict[str, list[str]]) -> M:
    """Validate query parameters: a known one given twice is rejected, unknown ones ignored."""
    flat: dict[str, str] = {}
    for name, values in query.items():
        if name not in model.__fields__:
            continue
        if len(values) > 1:
            raise BadRequest(f"Query parameter {name} given more than once")
        flat[name] = values[0]
    try:
        return model.parse_obj(flat)
    except ValidationError as exc:
        raise BadRequest(f"Invalid {_first_error_field(exc)}") from exc


def parse_json_body(model: type[M], body: bytes, *, optional: bool = False) -> M:
    """Validate a JSON object body (empty: `{}` when `optional`); BadRequest with the first
    problem. Nesting past `MAX_JSON_DEPTH` is refused before the parser sees it."""
    if nesting_exceeds(body, MAX_JSON_DEPTH):
        raise BadRequest(TOO_DEEP_MESSAGE)
    try:
        data = json.loads(body or (b"{}" if optional else b"null"), parse_constant=_no_constant)
    except ValueError as exc:
        raise BadRequest(INVALID_JSON_MESSAGE) from exc
    return parse_object(model, data)


def _no_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity: Python's parser accepts them, JSON (RFC 8259) does not.
    raise ValueError(f"{name} is not JSON")


def parse_object(model: type[M], data: Any) -> M:
    """Validate a decoded JSON object (a body, or RPC arguments); BadRequest with the first
    problem."""
    if not isinstance(data, dict):
        raise BadRequest("Body must be a JSON object")
    try:
        return model.parse_obj(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(shown(str(p)) for p in first["loc"])
        raise BadRequest(f"Invalid {where}: {first['msg']}") from exc
    except TypeError as exc:
        raise BadRequest("Body has an invalid field") from exc
