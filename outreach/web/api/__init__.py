"""The JSON API `/api/v1`: bearer tokens, JSON in and out, an OpenAPI document from the code."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from outreach.access import Scope
from outreach.accounts.service import user_for_token
from outreach.extensions import csrf, db
from outreach.web.api.io import MAX_BODY_BYTES
from outreach.web.api.spec import ApiRegistry
from outreach.web.errors import error_body

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
registry = ApiRegistry(bp, title="MRC Outreach API", version="1")


@bp.before_request
def _authenticate():
    """Every endpoint but the OpenAPI document needs `Authorization: Bearer <token>`."""
    request.max_content_length = MAX_BODY_BYTES
    if registry.is_public(request.endpoint):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = user_for_token(db.session, token.strip())
    if user is None:
        return _unauthorized()
    db.session.commit()  # keeps the token's last use
    g.api_user = user
    return None


def _unauthorized():
    body = error_body("unauthorized", "a valid bearer token is required")
    return jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="api"'}


def current_scope() -> Scope:
    """The regions the token's user may see."""
    return Scope.for_user(g.api_user)


# The views register themselves on `registry` when imported.
from outreach.web.api import (  # noqa: E402, F401
    callbacks,
    campaigns,
    contacts,
    lists,
    meta,
    prompts,
    regions,
)
