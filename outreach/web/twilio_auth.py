"""Webhook signatures: every provider request must carry a valid X-Twilio-Signature."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

from outreach.messaging.provider import webhook_auth_token


def signed_url() -> str:
    """The URL the provider signed: PUBLIC_BASE_URL + path + query, else the request's own."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return request.url
    query = request.query_string.decode()
    return base.rstrip("/") + request.path + (f"?{query}" if query else "")


def require_signature(view):
    """Refuse (403, nothing changed) a webhook whose signature does not match; then (400) one
    holding a NUL character, which PostgreSQL cannot store (the app-wide NUL check is for
    people's pages and steps aside here, see `web/lean.py`)."""

    @wraps(view)
    def checked(*args, **kwargs):
        validator = RequestValidator(webhook_auth_token(current_app.config))
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not validator.validate(signed_url(), request.form, signature):
            abort(403, "invalid or missing X-Twilio-Signature")
        if any("\x00" in value for part in (request.args, request.form) for value in part.values()):
            abort(400, "the request holds a NUL character")
        return view(*args, **kwargs)

    return checked
