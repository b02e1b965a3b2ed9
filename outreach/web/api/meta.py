"""The API's description of itself."""

from __future__ import annotations

from typing import Any

from outreach.web.api import registry


@registry.route("GET", "/openapi.json", responses={200: dict[str, Any]}, public=True, tag="meta")
def openapi():
    """The OpenAPI 3.1 document of this API, generated from the code."""
    return registry.document(), 200
