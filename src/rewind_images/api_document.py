"""OpenAPI 3.1 of every route, generated from the route table and the pydantic models that
validate requests, so the document cannot drift from behaviour."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from rewind_images.config import SERVICE_VERSION
from rewind_images.routing import Route
from rewind_images.validation import ErrorResponse

ERROR_DESCRIPTIONS = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    429: "Too many requests",
    500: "Internal server error",
    502: "Upstream sources failed",
    503: "Service unavailable",
}
REF = "#/components/schemas/{model}"


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    # A copy: pydantic caches the schema dict it returns, and this function edits it.
    schema = copy.deepcopy(model.schema(ref_template=REF))
    for name, definition in schema.pop("definitions", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(model: type[BaseModel], where: str, components: dict[str, Any]) -> list[Any]:
    # A copy: pydantic caches the schema dict it returns, and this function edits it.
    schema = copy.deepcopy(model.schema(ref_template=REF))
    definitions = schema.get("definitions", {})
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        if "$ref" in prop:  # inline enums so each parameter shows its values
            prop = dict(definitions[prop["$ref"].rsplit("/", 1)[1]])
        if "allOf" in prop and len(prop["allOf"]) == 1 and "$ref" in prop["allOf"][0]:
            prop = dict(definitions[prop.pop("allOf")[0]["$ref"].rsplit("/", 1)[1]])
        refs = [p["$ref"] for p in prop.get("anyOf", []) if "$ref" in p]
        if len(refs) == 1:  # an optional enum (the other choice is null: an absent parameter)
            prop = {k: v for k, v in prop.items() if k != "anyOf"}
            prop.update(definitions[refs[0].rsplit("/", 1)[1]])
        prop.pop("title", None)
        if isinstance(prop.get("type"), list):  # an absent parameter is how None is sent
            prop["type"] = next(t for t in prop["type"] if t != "null")
        example = prop.pop("example", None)
        description = prop.pop("description", None)
        param: dict[str, Any] = {
            "schema": prop,
            "required": where == "path" or name in required,
            "name": name,
            "in": where,
        }
        if example is not None:
            param["example"] = example
        if description:
            param["description"] = description
        params.append(param)
    return params


def build_openapi(routes: tuple[Route, ...]) -> dict[str, Any]:
    """The OpenAPI document of `routes`."""
    components: dict[str, Any] = {}
    error_ref = _schema(ErrorResponse, components)
    paths: dict[str, Any] = {}
    for route in routes:
        doc = route.doc
        operation: dict[str, Any] = {
            "tags": [doc.tag],
            "summary": doc.summary,
            "operationId": route.operation_id,
        }
        if doc.description:
            operation["description"] = doc.description
        parameters: list[Any] = []
        if doc.path_model is not None:
            parameters += _parameters(doc.path_model, "path", components)
        if doc.query_model is not None:
            parameters += _parameters(doc.query_model, "query", components)
        if parameters:
            operation["parameters"] = parameters
        if doc.body_model is not None:
            content: dict[str, Any] = {
                "application/json": {"schema": _schema(doc.body_model, components)}
            }
            if doc.upload_field is not None:
                content["multipart/form-data"] = {
                    "schema": {
                        "type": "object",
                        "properties": {doc.upload_field: {"type": "string", "format": "binary"}},
                        "required": [doc.upload_field],
                    }
                }
            operation["requestBody"] = {"required": True, "content": content}
        ok: dict[str, Any] = {"description": doc.ok_description}
        if doc.ok_model is not None:
            ok["content"] = {"application/json": {"schema": _schema(doc.ok_model, components)}}
        responses: dict[str, Any] = {str(doc.ok_status): ok}
        for answer in doc.more_answers:
            more: dict[str, Any] = {"description": answer.description}
            if answer.model is not None:
                schema = _schema(answer.model, components)
                more["content"] = {"application/json": {"schema": schema}}
            responses[str(answer.status)] = more
        statuses = set(doc.errors) | {500, 503}  # 503: a platform dependency failed
        if doc.body_model is not None or doc.upload_field is not None:
            statuses |= {413}  # every body is read with a byte cap
        if route.access != "public":
            statuses |= {401, 429}
        if route.access == "admin":
            statuses |= {403}
        for status in sorted(statuses):
            responses[str(status)] = {
                "description": ERROR_DESCRIPTIONS[status],
                "content": {"application/json": {"schema": error_ref}},
            }
        operation["responses"] = responses
        operation["security"] = [] if route.access == "public" else [{"bearerAuth": []}]
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Rewind API: images",
            "version": SERVICE_VERSION,
            "description": "Image service of the Rewind API. Errors use the envelope "
            '`{"error": "...", "status": N}`.',
        },
        "servers": [{"url": "https://api.rewind.rest", "description": "Production"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "API key. Read keys (rw_live_...) access GET endpoints. "
                    "Admin keys (rw_admin_...) access all endpoints.",
                }
            },
        },
    }
