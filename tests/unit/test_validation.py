"""Request models (images.inputs, keys.schemas) through `validation`: path, query
and body validation with the API's exact messages, and the schema tweaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import Field

from rewind_images.config import (
    MAX_ECHO_LENGTH,
    MAX_ENTITY_ID_LENGTH,
    MAX_HINT_LENGTH,
    MAX_URL_LENGTH,
)
from rewind_images.errors import BadRequest
from rewind_images.images.inputs import (
    Domain,
    EntityPath,
    EntityType,
    ImagePath,
    ImageQuery,
    Size,
)
from rewind_images.keys.schemas import KeyCreate, KeyInfo, KeyScope
from rewind_images.pages import Pagination
from rewind_images.validation import ApiModel, parse_json_body, parse_path, parse_query, shown

VALID_SIZES_TEXT = (
    "thumbnail, small, medium, large, poster, poster-lg, backdrop, original, poster-sm"
)


def path(**overrides):
    params = {
        "domain": "listening",
        "entity_type": "albums",
        "entity_id": "album-123",
        "size": "medium",
    }
    params.update(overrides)
    return params


def bad_request(func, *args):
    with pytest.raises(BadRequest) as info:
        func(*args)
    assert info.value.status == 400
    return info.value.message


# --- parse_path(ImagePath) -----------------------------------------------------------------------


def test_valid_path():
    parsed = parse_path(ImagePath, path())
    assert parsed.domain is Domain.listening
    assert parsed.entity_type is EntityType.albums
    assert parsed.entity_id == "album-123"
    assert parsed.size is Size.medium


@pytest.mark.parametrize("size", list(Size))
def test_every_size_is_accepted(size):
    assert parse_path(ImagePath, path(size=size.value)).size is size


@pytest.mark.parametrize("domain", ["music", "Listening", "", "listening "])
def test_invalid_domain_message(domain):
    assert bad_request(parse_path, ImagePath, path(domain=domain)) == f"Invalid domain: {domain}"


@pytest.mark.parametrize("entity_type", ["album", "ALBUMS", "books"])
def test_invalid_entity_type_message(entity_type):
    message = bad_request(parse_path, ImagePath, path(entity_type=entity_type))
    assert message == f"Invalid entity type: {entity_type}"


@pytest.mark.parametrize("size", ["huge", "Medium", "poster_lg", ""])
def test_invalid_size_message_lists_valid_sizes(size):
    message = bad_request(parse_path, ImagePath, path(size=size))
    assert message == f"Invalid size: {size}. Valid sizes: {VALID_SIZES_TEXT}"


@pytest.mark.parametrize(
    "entity_id",
    [
        ".",
        "..",
        "a/b",
        "/",
        "a\\b",
        "",
        "a\x00b",
        "tab\there",
        "new\nline",
        "trailing\n",
        "del\x7f",
        "\x1f",
        "x" * (MAX_ENTITY_ID_LENGTH + 1),
    ],
)
def test_invalid_entity_id_message(entity_id):
    assert bad_request(parse_path, ImagePath, path(entity_id=entity_id)) == "Invalid entity id"


@pytest.mark.parametrize(
    "entity_id",
    ["x" * MAX_ENTITY_ID_LENGTH, "...", ".a", "a.", "tmdb:15 #1", "Björk", "東京" * 100, "a b"],
)
def test_valid_entity_ids(entity_id):
    assert parse_path(ImagePath, path(entity_id=entity_id)).entity_id == entity_id


def test_first_invalid_field_in_declaration_order_wins():
    message = bad_request(parse_path, ImagePath, path(domain="nope", size="huge", entity_id=".."))
    assert message == "Invalid domain: nope"
    message = bad_request(parse_path, ImagePath, path(entity_id="..", size="huge"))
    assert message == "Invalid entity id"


def test_missing_path_field_reports_it_with_an_empty_value():
    params = path()
    del params["domain"]
    assert bad_request(parse_path, ImagePath, params) == "Invalid domain: "


def test_entity_path_uses_the_same_rules():
    parsed = parse_path(
        EntityPath, {"domain": "watching", "entity_type": "movies", "entity_id": "m1"}
    )
    assert (parsed.domain, parsed.entity_type, parsed.entity_id) == ("watching", "movies", "m1")
    assert (
        bad_request(
            parse_path,
            EntityPath,
            {"domain": "watching", "entity_type": "movies", "entity_id": ".."},
        )
        == "Invalid entity id"
    )
    assert (
        bad_request(
            parse_path, EntityPath, {"domain": "x", "entity_type": "movies", "entity_id": "1"}
        )
        == "Invalid domain: x"
    )


# --- parse_query(ImageQuery) ---------------------------------------------------------------------

MBID = "a1b2c3d4-0000-4000-8000-000000000000"


def test_empty_query():
    parsed = parse_query(ImageQuery, {})
    assert parsed.dict() == {
        "artist_name": None,
        "album_name": None,
        "mbid": None,
        "tmdb_id": None,
        "article_url": None,
    }


def test_all_hints():
    parsed = parse_query(
        ImageQuery,
        {
            "artist_name": ["Radiohead"],
            "album_name": ["OK Computer"],
            "mbid": [MBID.upper()],
            "tmdb_id": ["603"],
            "article_url": ["https://example.com/a?b=c"],
        },
    )
    assert parsed.artist_name == "Radiohead"
    assert parsed.album_name == "OK Computer"
    assert parsed.mbid == MBID.upper()
    assert parsed.tmdb_id == "603"
    assert parsed.article_url == "https://example.com/a?b=c"


@pytest.mark.parametrize(
    "mbid",
    [
        "not-a-uuid",
        MBID.replace("-", ""),
        MBID[:-1],
        MBID + "0",
        "{" + MBID + "}",
        MBID.replace("a", "g"),
        "",
    ],
)
def test_invalid_mbid(mbid):
    assert bad_request(parse_query, ImageQuery, {"mbid": [mbid]}) == "Invalid mbid"


# One rule with the sources (rules.TMDB_ID_PATTERN): a positive integer of at most ten digits.
@pytest.mark.parametrize("tmdb_id", ["1", "603", "9" * 10, "1" + "0" * 9])
def test_valid_tmdb_id(tmdb_id):
    assert parse_query(ImageQuery, {"tmdb_id": [tmdb_id]}).tmdb_id == tmdb_id


@pytest.mark.parametrize(
    "tmdb_id",
    ["0", "0603", "-5", "12a", "1.5", " 15", "9" * 11, "1" + "0" * 10, "9" * 13, "", "١٢"],
)
def test_invalid_tmdb_id(tmdb_id):
    assert bad_request(parse_query, ImageQuery, {"tmdb_id": [tmdb_id]}) == "Invalid tmdb_id"


@pytest.mark.parametrize("name", ["artist_name", "album_name"])
def test_hint_length_limit(name):
    assert getattr(parse_query(ImageQuery, {name: ["x" * MAX_HINT_LENGTH]}), name) == "x" * 300
    assert (
        bad_request(parse_query, ImageQuery, {name: ["x" * (MAX_HINT_LENGTH + 1)]})
        == f"Invalid {name}"
    )


@pytest.mark.parametrize("name", ["artist_name", "album_name"])
@pytest.mark.parametrize("value", ["a\x00b", "a\tb", "a\nb", "\x1b[31m", "x\x7f"])
def test_hint_control_characters(name, value):
    assert bad_request(parse_query, ImageQuery, {name: [value]}) == f"Invalid {name}"


def test_hints_keep_unicode_and_punctuation():
    parsed = parse_query(ImageQuery, {"artist_name": ["Sigur Rós & Co. (Live) — 東京"]})
    assert parsed.artist_name == "Sigur Rós & Co. (Live) — 東京"


@pytest.mark.parametrize("url", ["http://example.com/post", "https://example.com/post"])
def test_article_url_http_and_https(url):
    assert parse_query(ImageQuery, {"article_url": [url]}).article_url == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a",
        "javascript:alert(1)",
        "//example.com/a",
        "example.com/a",
        "file:///etc/passwd",
        " https://example.com/",
        "https://example.com/" + "a" * MAX_URL_LENGTH,
    ],
)
def test_article_url_refused(url):
    assert bad_request(parse_query, ImageQuery, {"article_url": [url]}) == "Invalid article_url"


@pytest.mark.parametrize("name", ["artist_name", "album_name", "mbid", "tmdb_id", "article_url"])
def test_repeated_known_parameter_is_rejected(name):
    message = bad_request(parse_query, ImageQuery, {name: ["1", "2"]})
    assert message == f"Query parameter {name} given more than once"


def test_unknown_parameters_are_ignored_even_when_repeated_or_odd():
    parsed = parse_query(
        ImageQuery, {"cb": ["1", "2"], "utm_source": ["x\x00"], "tmdb_id": ["15"], "size": ["huge"]}
    )
    assert parsed.tmdb_id == "15"
    assert not hasattr(parsed, "cb")
    assert "cb" not in parsed.dict()


# pydantic 1 checks `regex=` with re.match, and `$` also matches just before a final newline, so
# a value with one trailing "\n" passes every `...$` pattern (reported; fix: also reject control
# characters in a validator, as ImagePath does). strict=True: remove the marker once fixed.
TRAILING_NEWLINE = [
    ("artist_name", "Radiohead\n"),
    ("album_name", "OK Computer\n"),
    ("mbid", MBID + "\n"),
    ("tmdb_id", "15\n"),
    ("article_url", "https://example.com/a\n"),
]


@pytest.mark.parametrize(("name", "value"), TRAILING_NEWLINE)
def test_trailing_newline_is_refused(name, value):
    assert bad_request(parse_query, ImageQuery, {name: [value]}) == f"Invalid {name}"


# --- parse_json_body(KeyCreate) ------------------------------------------------------------------


def test_key_create_defaults():
    body = parse_json_body(KeyCreate, b'{"name": "my app"}')
    assert isinstance(body, KeyCreate)
    assert body.name == "my app"
    assert body.scope is KeyScope.read
    assert body.rate_limit_rpm == 60
    assert body.expires_at is None
    assert body.expires_at_text() is None


def test_key_create_all_fields():
    body = parse_json_body(
        KeyCreate,
        b'{"name":"ci","scope":"admin","rate_limit_rpm":1000000,'
        b'"expires_at":"2030-01-02T03:04:05.678+02:00"}',
    )
    assert isinstance(body, KeyCreate)
    assert body.scope is KeyScope.admin
    assert body.rate_limit_rpm == 1_000_000
    assert body.expires_at == datetime(2030, 1, 2, 1, 4, 5, 678000, tzinfo=UTC)
    assert body.expires_at_text() == "2030-01-02T01:04:05.678Z"


@pytest.mark.parametrize(
    "value",
    [
        '"2030-06-01T12:00:00"',  # no offset
        '"2030-06-01"',
        '"2030-06-01 12:00:00Z"',
        '"2030-02-30T00:00:00Z"',
        '"2030-01-01T00:00:60Z"',
        '"9999-12-31T23:59:59-12:00"',  # past year 9999 in UTC (was a 500)
        '"+002030-01-01T00:00:00Z"',
        "1e20",  # numbers were taken as epoch seconds (1e20 became 1973)
        "253402300799",
        "true",
        "[]",
    ],
)
def test_expiry_must_be_rfc3339_text_with_an_offset(value):
    body = b'{"name":"x","expires_at":' + value.encode() + b"}"
    message = "Invalid expires_at: must be an RFC 3339 date-time with an offset"
    assert bad_request(parse_json_body, KeyCreate, body) == message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2030-06-01T12:00:00Z", "2030-06-01T12:00:00.000Z"),
        ("2030-06-01t12:00:00.5z", "2030-06-01T12:00:00.500Z"),
        ("2030-06-01T12:00:00.123456789-01:30", "2030-06-01T13:30:00.123Z"),
    ],
)
def test_rfc3339_expiry_forms(value, text):
    body = parse_json_body(KeyCreate, b'{"name":"x","expires_at":"' + value.encode() + b'"}')
    assert isinstance(body, KeyCreate)
    assert body.expires_at is not None
    assert body.expires_at.utcoffset() == timedelta(0)
    assert body.expires_at_text() == text


def test_expiry_text_converts_offsets():
    body = KeyCreate(
        name="x", expires_at=datetime(2030, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5)))
    )
    assert body.expires_at_text() == "2030-01-01T05:00:00.000Z"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Body must be a JSON object"),
        (b"null", "Body must be a JSON object"),
        (b"[]", "Body must be a JSON object"),
        (b'"name"', "Body must be a JSON object"),
        (b"{", "Body is not valid JSON"),
        (b"\xff\xfe", "Body is not valid JSON"),
        (b'{"scope":"read"}', "Invalid name: field required"),
        (b'{"name":""}', "Invalid name: ensure this value has at least 1 characters"),
        (b'{"name":"x","foo":1}', "Invalid foo: extra fields not permitted"),
        (
            b'{"name":"x","rate_limit_rpm":0}',
            "Invalid rate_limit_rpm: ensure this value is greater than or equal to 1",
        ),
        (
            b'{"name":"x","rate_limit_rpm":1000001}',
            "Invalid rate_limit_rpm: ensure this value is less than or equal to 1000000",
        ),
        (
            b'{"name":"x","rate_limit_rpm":"abc"}',
            "Invalid rate_limit_rpm: must be a whole number",
        ),
        (
            b'{"name":"x","scope":"root"}',
            "Invalid scope: value is not a valid enumeration member; permitted: 'read', 'admin'",
        ),
        (
            b'{"name":"x","expires_at":"soon"}',
            "Invalid expires_at: must be an RFC 3339 date-time with an offset",
        ),
    ],
)
def test_key_create_errors(body, message):
    assert bad_request(parse_json_body, KeyCreate, body) == message


def test_key_name_length_and_control_characters():
    assert parse_json_body(KeyCreate, b'{"name":"' + b"n" * 100 + b'"}').name == "n" * 100
    assert bad_request(parse_json_body, KeyCreate, b'{"name":"' + b"n" * 101 + b'"}').startswith(
        "Invalid name: ensure this value has at most 100 characters"
    )
    assert bad_request(parse_json_body, KeyCreate, b'{"name":"a\\u0001b"}').startswith(
        "Invalid name: string does not match regex"
    )


# --- schema: nullable fields (ApiModel's schema_extra) -------------------------------------------


def test_optional_fields_are_nullable_in_the_schema():
    props = KeyInfo.schema()["properties"]
    assert props["last_used_at"]["type"] == ["string", "null"]
    assert props["expires_at"]["type"] == ["string", "null"]
    # required, non-optional fields are left alone
    assert props["name"]["type"] == "string"
    assert props["id"]["type"] == "integer"
    assert props["is_active"]["type"] == "boolean"


def test_key_create_schema():
    props = KeyCreate.schema()["properties"]
    assert props["expires_at"]["type"] == ["string", "null"]
    assert props["expires_at"]["format"] == "date-time"
    assert props["name"]["type"] == "string"
    assert props["rate_limit_rpm"]["type"] == "integer"
    assert props["scope"] == {"default": "read", "allOf": [{"$ref": "#/definitions/KeyScope"}]}


def test_image_query_hints_are_nullable():
    props = ImageQuery.schema()["properties"]
    for name in ("artist_name", "album_name", "mbid", "tmdb_id", "article_url"):
        assert props[name]["type"] == ["string", "null"], name


def test_optional_refs_become_any_of_with_null():
    class Holder(ApiModel):
        scope: KeyScope | None = None
        page: Pagination | None = None
        count: int
        label: str | None = Field(None, alias="labelText")

    props = Holder.schema()["properties"]
    assert props["scope"] == {"anyOf": [{"$ref": "#/definitions/KeyScope"}, {"type": "null"}]}
    assert props["page"] == {"anyOf": [{"$ref": "#/definitions/Pagination"}, {"type": "null"}]}
    assert props["count"]["type"] == "integer"
    assert props["labelText"]["type"] == ["string", "null"]


def test_key_name_with_trailing_newline_is_refused():
    assert bad_request(parse_json_body, KeyCreate, b'{"name":"my app\\n"}').startswith(
        "Invalid name"
    )


# --- shown: a value as an answer or a log line echoes it -----------------------------------------


def test_text_is_shown_as_given_and_other_values_as_json_with_non_ascii_kept():
    assert shown("Café") == "Café"
    assert shown(None) == "null"
    assert shown(12) == "12"
    assert shown({"album": "Café", "n": [1, True]}) == '{"album": "Café", "n": [1, true]}'


def test_a_value_with_no_json_text_is_shown_by_its_type_name():
    assert shown({1, 2}) == "set"
    assert shown(b"bytes") == "bytes"


def test_a_value_is_cut_past_the_echo_length_with_an_ellipsis():
    assert shown("x" * MAX_ECHO_LENGTH) == "x" * MAX_ECHO_LENGTH
    assert shown("x" * (MAX_ECHO_LENGTH + 1)) == "x" * MAX_ECHO_LENGTH + "\u2026"
    assert shown(["y" * 1000]) == '["' + "y" * (MAX_ECHO_LENGTH - 2) + "\u2026"


def test_a_lone_surrogate_is_shown_as_one_replacement_character():
    assert shown("a\ud800b") == "a\ufffdb"
    assert shown(["\udfff"]) == '["\ufffd"]'
    assert shown("a\ud800b").encode() == b"a\xef\xbf\xbdb"  # encodable text
