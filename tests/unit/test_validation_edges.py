"""validation.py's own rules, apart from the API's models (tests/unit/test_models.py): the
messages of its BadRequests, optional bodies, and the nullable fields of the schemas."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field

from rewind_images.errors import BadRequest
from rewind_images.keys.schemas import KeyCreate
from rewind_images.validation import ApiModel, parse_json_body, parse_object, parse_path


class Inner(ApiModel):
    size: int


class Body(ApiModel):
    name: str = "unnamed"
    inner: Inner | None = None


class Path(ApiModel):
    messages: ClassVar[dict[str, str]] = {"kind": "Invalid kind: {value}"}

    kind: str = Field(..., regex="^(a|b)$")
    number: int


class PlainPath(BaseModel):
    number: int


def refusal(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(BadRequest) as refused:
        call(*args, **kwargs)
    return refused.value.message


def test_an_optional_body_may_be_empty_and_a_required_one_may_not() -> None:
    assert parse_json_body(Body, b"", optional=True) == Body()
    assert refusal(parse_json_body, Body, b"") == "Body must be a JSON object"
    assert refusal(parse_json_body, Body, b"[]", optional=True) == "Body must be a JSON object"


def test_a_bad_nested_field_is_named_by_its_path() -> None:
    message = refusal(parse_object, Body, {"inner": {"size": "big"}})
    assert message == "Invalid inner.size: value is not a valid integer"


def test_arguments_that_are_not_field_names_are_refused() -> None:
    # RPC arguments arrive as a decoded object whose keys need not be strings.
    assert refusal(parse_object, Body, {1: "x"}) == "Body has an invalid field"


def test_path_fields_without_a_message_of_their_own_are_an_invalid_path() -> None:
    assert refusal(parse_path, Path, {"kind": "c", "number": "1"}) == "Invalid kind: c"
    assert refusal(parse_path, Path, {"kind": "a", "number": "x"}) == "Invalid path"
    assert refusal(parse_path, PlainPath, {"number": "x"}) == "Invalid path"


def test_a_control_character_the_pattern_lets_through_is_refused_with_its_reason() -> None:
    # pydantic 1's `$` matches before a final newline; check_text refuses it.
    message = refusal(parse_json_body, KeyCreate, b'{"name": "ops\\n"}')
    assert message == "Invalid name: name contains control characters"


def test_nullable_references_say_null_in_the_schema() -> None:
    # The models are made here: pydantic caches a model's schema, and mutation runs fork a
    # process that has already built the schemas of module-level models.
    class Nested(ApiModel):
        value: int

    class Nullable(ApiModel):
        described: Nested | None = Field(None, description="a nested model with a description")
        plain: Nested | None = None
        anything: Any = None
        required: Nested

    Nullable.update_forward_refs(Nested=Nested)
    props = Nullable.schema()["properties"]
    nested = {"$ref": "#/definitions/Nested"}
    # pydantic 1 wraps a described reference in allOf; either form becomes anyOf with null.
    assert props["described"] == {
        "title": "Described",
        "description": "a nested model with a description",
        "anyOf": [{"allOf": [nested]}, {"type": "null"}],
    }
    assert props["plain"] == {"anyOf": [nested, {"type": "null"}]}
    # A field with no type to extend, and a required reference, are left as they are.
    assert props["anything"] == {"title": "Anything"}
    assert props["required"] == nested
