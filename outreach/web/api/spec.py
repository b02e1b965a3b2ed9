"""A registry of the API's operations, and the OpenAPI 3.1 document built from it.

Each view is declared once with `registry.route(...)`: its method, path, query and body models,
and response models. The same declaration registers the Flask rule, drives input parsing, and
is what the document at `/api/v1/openapi.json` describes, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify
from pydantic import BaseModel, TypeAdapter

from outreach.permissions import Action, check, everyone_may
from outreach.web.api.io import read_body, read_query, validated
from outreach.web.api.schemas.common import ErrorOut

_RULE_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_CONVERTER_SCHEMAS = {"int": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
_STANDARD_ERRORS = {
    400: "The body is not JSON",
    401: "Missing or unknown bearer token",
    403: "The user's role may not do this",
    404: "Not found, or outside the user's regions",
    415: "The body is not `application/json`",
    422: "Input that fails validation",
}


@dataclass(frozen=True)
class Operation:
    """One method on one path, as declared."""

    method: str
    rule: str
    endpoint: str
    summary: str
    responses: dict[int, Any]
    query: type[BaseModel] | None = None
    body: Any = None
    public: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
    action: Action | None = None
    raw_body: tuple[str, ...] = ()  # media types of a body the view reads itself (audio)


class ApiRegistry:
    """Declares routes on a blueprint and remembers them for the OpenAPI document."""

    def __init__(self, blueprint: Blueprint, title: str, version: str) -> None:
        self.blueprint = blueprint
        self.title = title
        self.version = version
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        rule: str,
        *,
        responses: dict[int, Any],
        query: type[BaseModel] | None = None,
        body: Any = None,
        validate_body: bool = True,
        public: bool = False,
        tag: str,
        action: Action | None = None,
        raw_body: tuple[str, ...] = (),
    ) -> Callable:
        """Register a view; it gets `query=` and `body=` parsed, and returns (model, status).

        Every operation but a public one names the `action` it performs (`outreach.permissions`);
        a token whose user's role may not do it gets 403 before any input is read.
        """
        if (action is None) != public:
            raise TypeError(f"{rule}: give an action, or mark the operation public")

        def decorate(view: Callable) -> Callable:
            adapter = TypeAdapter(body) if body is not None and validate_body else None

            @wraps(view)
            def handle(**path_args):
                if action is not None:
                    check(g.api_user.role, action)
                if query is not None:
                    path_args["query"] = read_query(query)
                if body is not None:
                    raw = read_body()
                    path_args["body"] = validated(adapter, raw) if adapter else raw
                result, status = view(**path_args)
                if isinstance(result, BaseModel):
                    result = result.model_dump(mode="json")
                return jsonify(result), status

            summary = (view.__doc__ or view.__name__).strip().splitlines()[0]
            operation = Operation(
                method=method.upper(),
                rule=self.blueprint.url_prefix + rule,
                endpoint=f"{self.blueprint.name}.{view.__name__}",
                summary=summary,
                responses=responses,
                query=query,
                body=body,
                public=public,
                tags=(tag,),
                action=action,
                raw_body=raw_body,
            )
            handle.required_action = action
            self.operations.append(operation)
            self.blueprint.add_url_rule(rule, view.__name__, handle, methods=[method.upper()])
            return handle

        return decorate

    def is_public(self, endpoint: str | None) -> bool:
        """Whether an endpoint is served without a token."""
        return any(op.endpoint == endpoint and op.public for op in self.operations)

    def document(self) -> dict:
        """The OpenAPI 3.1 document for every declared operation."""
        return build_document(self)


# --- the document -----------------------------------------------------------------------------


def openapi_path(rule: str) -> str:
    """`/contacts/<int:contact_id>` as OpenAPI writes it: `/contacts/{contact_id}`."""
    return _RULE_ARGUMENT.sub(lambda m: "{" + m.group(2) + "}", rule)


def build_document(registry: ApiRegistry) -> dict:
    """Paths and component schemas from the registry's operations and their pydantic models."""
    schemas, definitions = _schemas(registry.operations)
    paths: dict[str, dict] = {}
    for op in registry.operations:
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": registry.title,
            "version": registry.version,
            "description": (
                "Bearer tokens (`outreach tokens create EMAIL`). JSON in and out. Every 4xx "
                'answer is `{"error": {"code", "message", "details"}}`. Datetimes are ISO 8601 '
                "with an offset (UTC). Unknown fields in bodies and query strings are refused."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": definitions,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _schemas(operations: list[Operation]) -> tuple[dict, dict]:
    """JSON schemas of every model used, keyed by (type, mode), with shared definitions."""
    inputs: dict[tuple, tuple] = {}
    for op in operations:
        models = [
            (ErrorOut, "serialization"),
            *((m, "serialization") for m in op.responses.values()),
        ]
        if op.body is not None:
            models.append((op.body, "validation"))
        if op.query is not None:
            models.append((op.query, "validation"))
        for model, mode in models:
            if model is not None:
                inputs.setdefault((_key(model), mode), (model, mode))
    keyed = [(key, mode, TypeAdapter(model)) for (key, mode), (model, _) in inputs.items()]
    mapping, defs = TypeAdapter.json_schemas(keyed, ref_template="#/components/schemas/{model}")
    return {key: schema for (key, _mode), schema in mapping.items()}, defs.get("$defs", {})


def _key(model: Any) -> str:
    return repr(model)


def _operation(op: Operation, schemas: dict) -> dict:
    result: dict[str, Any] = {
        "operationId": op.endpoint.split(".", 1)[1],
        "summary": op.summary,
        "tags": list(op.tags),
        "responses": _responses(op, schemas),
    }
    if op.query is not None and op.query.__doc__:
        result["description"] = " ".join(op.query.__doc__.split())
    parameters = _path_parameters(op.rule) + _query_parameters(op.query)
    if parameters:
        result["parameters"] = parameters
    if op.body is not None:
        result["requestBody"] = {
            "required": _body_required(op.body),
            "content": {"application/json": {"schema": schemas[_key(op.body)]}},
        }
    if op.raw_body:
        result["requestBody"] = {
            "required": True,
            "content": {t: {"schema": {"contentMediaType": t}} for t in op.raw_body},
        }
    if op.public:
        result["security"] = []
    return result


def _body_required(body: Any) -> bool:
    """An empty body is read as `{}`: it is optional when the model has no required field."""
    if isinstance(body, type) and issubclass(body, BaseModel):
        return any(f.is_required() for f in body.model_fields.values())
    return True


def _responses(op: Operation, schemas: dict) -> dict:
    responses = {
        str(status): {
            "description": "OK" if status < 300 else "Error",
            "content": {"application/json": {"schema": schemas[_key(model)]}},
        }
        for status, model in op.responses.items()
    }
    error = {"content": {"application/json": {"schema": schemas[_key(ErrorOut)]}}}
    wanted = set()
    if not op.public:
        wanted.add(401)
    if op.action is not None and not everyone_may(op.action):
        wanted.add(403)
    if "<" in op.rule:
        wanted.add(404)
    if op.body is not None:
        wanted.update({400, 415, 422})
    if op.query is not None or op.raw_body:
        wanted.add(422)
    for status in sorted(wanted):
        responses.setdefault(str(status), {"description": _STANDARD_ERRORS[status], **error})
    return responses


def _path_parameters(rule: str) -> list[dict]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _CONVERTER_SCHEMAS.get(converter or None, {"type": "string"}),
        }
        for converter, name in _RULE_ARGUMENT.findall(rule)
    ]


def _query_parameters(query: type[BaseModel] | None) -> list[dict]:
    if query is None:
        return []
    schema = query.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _without_null(prop),
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema["properties"].items()
    ]


def _without_null(prop: dict) -> dict:
    """A query parameter is absent or a string, never null: drop `null` from its schema."""
    options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
    if len(options) != 1:
        return prop
    rest = {k: v for k, v in prop.items() if k != "anyOf" and not (k == "default" and v is None)}
    return {**options[0], **rest}
