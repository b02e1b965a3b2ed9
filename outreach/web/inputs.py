"""Integers from URLs, query strings and forms, bounded before they reach a query.

A number no id can be (0, 2^63, 10^20) would overflow the database's integer or an OFFSET and
end as a 500. Paths use the app's `int` converter, which stops at `MAX_ID` (a 404: no such
record); query arguments and form fields go through `parse_id` (a 400: bad input).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

from outreach.models import MAX_ID

_MAX_DIGITS = len(str(MAX_ID))


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a whole number from 1 to `MAX_ID`; anything else is a 404."""

    def __init__(self, url_map, fixed_digits=0, min=1, max=MAX_ID, signed=False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_converters(app: Flask) -> None:
    """Bound `<int:…>` for every rule registered after this (call it before the blueprints)."""
    app.url_map.converters["int"] = IdConverter


def int_query(*names: str) -> Callable:
    """Declare the integer query arguments a view reads with `int_arg`.

    The declaration is kept on the view, so tests find every such argument in the URL map.
    """

    def declare(view: Callable) -> Callable:
        view.int_query_args = (*getattr(view, "int_query_args", ()), *names)
        return view

    return declare


def int_arg(name: str, default: int | None = None) -> int | None:
    """The query argument `name` as an id or page number; `default` when absent; else a 400."""
    view = current_app.view_functions.get(request.endpoint or "")
    if name not in getattr(view, "int_query_args", ()):
        raise RuntimeError(f"{request.endpoint} reads ?{name}= without @int_query({name!r})")
    return parse_id(request.args.get(name), name, default)


def parse_id(raw: str | None, what: str, default: int | None = None) -> int | None:
    """`raw` as a whole number from 1 to `MAX_ID`; `default` when empty; else a 400."""
    text = (raw or "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS):
        abort(400, f"{what} must be a whole number from 1 to {MAX_ID}.")
    value = int(text)
    if not 1 <= value <= MAX_ID:
        abort(400, f"{what} must be a whole number from 1 to {MAX_ID}.")
    return value
