"""Error pages for people and the error shape for the API: bad input is a 4xx, never a 500."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from outreach.errors import ServiceError
from outreach.extensions import db
from outreach.web.sessions import is_webhook

API_PREFIX = "/api/"


def error_body(code: str, message: str, details: object = None) -> dict:
    """The API's error shape: `{"error": {"code", "message", "details"}}`."""
    return {"error": {"code": code, "message": message, "details": details}}


def _respond(status: int, code: str, message: str, details: object = None):
    if request.path.startswith(API_PREFIX):
        return jsonify(error_body(code, message, details)), status
    if is_webhook(request.path):  # the provider reads no page: plain words, no layout
        return Response(message, status, mimetype="text/plain")
    return render_template("error.html", status=status, message=message), status


def _service_error(exc: ServiceError):
    db.session.rollback()
    return _respond(exc.status, exc.code, exc.message, exc.details)


def _http_error(exc: HTTPException):
    code = (exc.name or "error").lower().replace(" ", "_")
    return _respond(exc.code or 500, code, exc.description or exc.name)


def _refuse_nul_characters():
    """No text a person types holds a NUL; PostgreSQL refuses to store one, so refuse it first.

    The API reads its own bodies (and refuses NULs itself), so only its query string is looked at.
    """
    form = {} if request.path.startswith(API_PREFIX) else request.form
    for values in (request.args, form):
        for value in values.values() if values else ():
            if "\x00" in value:
                return _respond(400, "bad_request", "the request holds a NUL character")
    return None


def register_error_handlers(app: Flask) -> None:
    """Service errors and HTTP errors as pages, or as JSON under /api/."""
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.before_request(_refuse_nul_characters)
