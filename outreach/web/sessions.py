"""Sessions are for people: the provider's webhooks neither read nor get a session cookie.

A webhook is a machine calling with a signature, never a person with a browser. Its path opens
no session (Flask then hands out its null session and never saves one), so whatever cookie a
caller sends is not even decoded, and no answer under `/webhooks/` carries a Set-Cookie.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

WEBHOOK_PREFIX = "/webhooks/"


def is_webhook(path: str) -> bool:
    """Whether a request path is one of the provider's webhooks."""
    return path.startswith(WEBHOOK_PREFIX)


class PeopleOnlySessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, opened for every path but the webhooks'."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_webhook(request.path):
            return None
        return super().open_session(app, request)
