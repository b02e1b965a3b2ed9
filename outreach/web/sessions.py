"""Sessions are for people: the provider's webhooks neither read nor get a session cookie.

A webhook is a machine calling with a signature, never a person with a browser. Its path opens
no session (Flask then hands out its null session and never saves one), so whatever cookie a
caller sends is not even decoded, and no answer under `/webhooks/` carries a Set-Cookie.
"""

from __future__ import annotations

import flask_login
from flask import Flask, Request, current_app, session
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


class LoginManager(flask_login.LoginManager):
    """Flask-Login, whose remember-me hook has nothing to do where no session is open (the
    provider's webhooks): it would otherwise write to that session and answer with cookies."""

    def _update_remember_cookie(self, response):
        if current_app.session_interface.is_null_session(session):
            return response
        return super()._update_remember_cookie(response)
