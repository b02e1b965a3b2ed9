"""Reading the API's input: JSON bodies and query strings, refused with a 4xx when malformed."""

from __future__ import annotations

from functools import cache
from typing import Any

import pydantic_core
from flask import request
from pydantic import BaseModel, TypeAdapter, ValidationError
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from outreach.errors import ValidationFailed

# Far above 1,000 contacts (about 300 KB); CSV files go through the import, not the API.
MAX_BODY_BYTES = 4 * 1024 * 1024


class InvalidJson(BadRequest):
    description = "the body is not valid JSON"


def read_body() -> Any:
    """The request's JSON body; an empty body is read as `{}` (validation names what is missing)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    try:
        return pydantic_core.from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None


def read_query(model: type[BaseModel]) -> BaseModel:
    """The query string as `model`; a parameter given twice is refused."""
    values: dict[str, str] = {}
    for name in request.args:
        given = request.args.getlist(name)
        if len(given) > 1:
            raise ValidationFailed(
                "a query parameter was given more than once", [_issue(name, "given twice")]
            )
        values[name] = given[0]
    return validated(_adapter(model), values)


@cache
def _adapter(model: type[BaseModel]) -> TypeAdapter:
    return TypeAdapter(model)


def validated(adapter: TypeAdapter, raw: Any) -> Any:
    """`raw` validated by `adapter`; pydantic's errors become a 422 listing field paths."""
    try:
        return adapter.validate_python(raw)
    except ValidationError as exc:
        raise ValidationFailed("the input is not valid", validation_details(exc)) from None


def validation_details(exc: ValidationError) -> list[dict]:
    """Pydantic's errors as `{field, message, type}`, without echoing the input back."""
    return [
        _issue(".".join(str(part) for part in error["loc"]), error["msg"], error["type"])
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


def _issue(field: str, message: str, kind: str | None = None) -> dict:
    issue = {"field": field, "message": message}
    if kind:
        issue["type"] = kind
    return issue
