"""build_openapi(app.ROUTES): a well-formed OpenAPI 3.1 document that matches the route table."""

from __future__ import annotations

import json
import re

import pytest

from rewind_images.api_document import ERROR_DESCRIPTIONS, build_openapi
from rewind_images.app import ROUTES
from rewind_images.config import SERVICE_VERSION
from rewind_images.http import error_response
from rewind_images.images.image_schemas import Domain, EntityType, Size

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def doc():
    return build_openapi(ROUTES)


def operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_top_level(doc):
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["version"] == SERVICE_VERSION
    assert doc["info"]["title"]
    assert doc["servers"][0]["url"].startswith("https://")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    json.dumps(doc)  # plain JSON all the way down


def test_every_route_is_documented_once(doc):
    documented = {(path, method.upper()) for path, method, _ in operations(doc)}
    expected = {("/" + "/".join(r.pattern), r.method) for r in ROUTES if r.doc is not None}
    assert documented == expected
    assert len(expected) == len(ROUTES)  # every route has its doc


def test_operation_ids_match_the_routes_and_are_unique(doc):
    ids = [operation["operationId"] for _, _, operation in operations(doc)]
    assert sorted(ids) == sorted(route.operation_id for route in ROUTES)
    assert len(set(ids)) == len(ids)
    assert {
        "getHealth",
        "getOpenApi",
        "getImage",
        "createApiKey",
        "listApiKeys",
        "revokeApiKey",
    } <= set(ids)


def test_methods_and_paths_are_well_formed(doc):
    for path, method, operation in operations(doc):
        assert method in HTTP_METHODS
        assert path.startswith("/v1/")
        placeholders = set(re.findall(r"{(\w+)}", path))
        path_params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert placeholders == path_params, path
        assert operation["summary"]
        assert operation["tags"]
        assert operation["responses"]


def test_security(doc):
    access = {route.operation_id: route.access for route in ROUTES}
    for _, _, operation in operations(doc):
        if access[operation["operationId"]] == "public":
            assert operation["security"] == []
            assert "401" not in operation["responses"]
        else:
            assert operation["security"] == [{"bearerAuth": []}]
            assert "401" in operation["responses"]
            assert "429" in operation["responses"]
        if access[operation["operationId"]] == "admin":
            assert "403" in operation["responses"]


def test_error_responses_use_the_envelope(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["ErrorResponse"]["properties"]["error"]["type"] == "string"
    assert schemas["ErrorResponse"]["properties"]["status"]["type"] == "integer"
    assert set(schemas["ErrorResponse"]["required"]) == {"error", "status"}
    for _, _, operation in operations(doc):
        assert "500" in operation["responses"]
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["description"] == ERROR_DESCRIPTIONS[int(status)]
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorResponse"
                }


def test_get_image(doc):
    operation = doc["paths"]["/v1/images/{domain}/{entity_type}/{entity_id}/{size}"]["get"]
    assert operation["operationId"] == "getImage"
    assert "X-ThumbHash" in operation["responses"]["302"]["description"]
    # The JSON form (Accept: application/json or format=json) answers 200 with the attachment.
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AttachmentAnswer"
    }
    params = {(p["in"], p["name"]): p for p in operation["parameters"]}
    assert params[("path", "domain")]["schema"]["enum"] == [d.value for d in Domain]
    assert params[("path", "entity_type")]["schema"]["enum"] == [t.value for t in EntityType]
    assert params[("path", "size")]["schema"]["enum"] == [s.value for s in Size]
    assert "poster-sm" in params[("path", "size")]["schema"]["enum"]
    for name in ("domain", "entity_type", "size"):
        assert params[("path", name)]["schema"]["type"] == "string"
        assert params[("path", name)]["required"] is True
    entity_id = params[("path", "entity_id")]["schema"]
    assert (entity_id["type"], entity_id["minLength"], entity_id["maxLength"]) == ("string", 1, 200)
    for name in ("artist_name", "album_name", "mbid", "tmdb_id", "article_url", "format"):
        param = params[("query", name)]
        assert param["required"] is False
        assert param["schema"]["type"] == "string"  # "null" is how an absent parameter looks
    assert params[("query", "format")]["schema"]["enum"] == ["json"]
    assert {"400", "401", "404", "429", "500", "502", "503", "302", "200"} == set(
        operation["responses"]
    )


def test_no_parameter_keeps_title_or_null_type(doc):
    for _, _, operation in operations(doc):
        for param in operation.get("parameters", []):
            assert "title" not in param["schema"]
            assert not isinstance(param["schema"].get("type"), list)
            assert "$ref" not in param["schema"]
            assert "allOf" not in param["schema"]


def test_request_and_response_bodies(doc):
    create = doc["paths"]["/v1/admin/keys"]["post"]
    assert create["requestBody"]["required"] is True
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/KeyCreate"}
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/KeyCreated"
    }
    listing = doc["paths"]["/v1/admin/keys"]["get"]
    names = {p["name"]: p for p in listing["parameters"]}
    assert names["page"]["in"] == names["limit"]["in"] == "query"
    assert names["limit"]["schema"]["maximum"] == 100
    revoke = doc["paths"]["/v1/admin/keys/{key_id}"]["delete"]
    key_id = revoke["parameters"][0]
    assert (key_id["name"], key_id["in"], key_id["required"]) == ("key_id", "path", True)
    assert (key_id["schema"]["type"], key_id["schema"]["minimum"]) == ("integer", 1)


def test_nullable_fields_in_components(doc):
    key_info = doc["components"]["schemas"]["KeyInfo"]["properties"]
    assert key_info["expires_at"]["type"] == ["string", "null"]
    assert key_info["last_used_at"]["type"] == ["string", "null"]
    assert key_info["key_hint"]["type"] == "string"


def test_every_ref_resolves_and_no_definitions_remain(doc):
    schemas = doc["components"]["schemas"]
    found = list(refs(doc))
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
    assert "definitions" not in json.dumps(doc)


def test_building_twice_gives_the_same_document():
    assert json.dumps(build_openapi(ROUTES), sort_keys=True) == json.dumps(
        build_openapi(ROUTES), sort_keys=True
    )


def test_schemas_are_valid_json_schema_and_examples_fit(doc):
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    components = doc["components"]

    def validator(schema):
        return jsonschema_rs.Draft202012Validator({**schema, "components": components})

    for schema in components["schemas"].values():
        jsonschema_rs.meta.validate(schema)
    for _, _, operation in operations(doc):
        for param in operation.get("parameters", []):
            jsonschema_rs.meta.validate(param["schema"])
            if "example" in param:
                assert validator(param["schema"]).is_valid(param["example"]), param["name"]

    envelope = json.loads(error_response(404, "Not found").body or b"")
    is_error = validator({"$ref": "#/components/schemas/ErrorResponse"})
    assert is_error.is_valid(envelope)
    assert not is_error.is_valid({"error": "x"})


def test_attachment_routes(doc):
    schemas = doc["components"]["schemas"]
    batch = doc["paths"]["/v1/images/attachments"]["post"]
    assert batch["operationId"] == "getImageAttachments"
    assert batch["security"] == [{"bearerAuth": []}]
    body = batch["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/AttachmentsRequest"}
    request = schemas["AttachmentsRequest"]
    assert request["additionalProperties"] is False
    assert (
        request["properties"]["items"]["minItems"],
        request["properties"]["items"]["maxItems"],
    ) == (
        1,
        100,
    )
    # The document shows the strict item, though items are validated one by one.
    assert request["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/AttachmentItem"
    }
    assert set(schemas["AttachmentItem"]["required"]) == {"domain", "entity_type", "entity_id"}
    answer = batch["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/AttachmentsAnswer"}
    result = schemas["AttachmentResult"]
    assert set(result["required"]) == {
        "domain",
        "entity_type",
        "entity_id",
        "size",
        "status",
        "image",
    }
    assert schemas["AttachmentStatus"]["enum"] == ["ready", "none", "pending", "failed", "invalid"]
    attachment = schemas["Attachment"]
    assert set(attachment["required"]) == {
        "cdn_url",
        "url",
        "thumbhash",
        "dominant_color",
        "accent_color",
        "width",
        "height",
        "aspect_ratio",
        "placeholder",
        "source",
        "image_version",
    }
    assert attachment["properties"]["placeholder"]["type"] == ["string", "null"]
    backfill = doc["paths"]["/v1/admin/images/backfill"]["post"]
    assert backfill["operationId"] == "backfillImages"
    assert "403" in backfill["responses"]
    limits = schemas["BackfillRequest"]["properties"]["items"]
    assert (limits["minItems"], limits["maxItems"]) == (1, 1000)
    assert schemas["BackfillResult"]["required"] == [
        "queued",
        "recorded",
        "unaskable",
        "failed",
        "invalid",
        "items",
    ]
