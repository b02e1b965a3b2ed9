"""The app's own request hooks are for people: a webhook request passes every one of them by.

Every hook registered on the app itself rather than on one blueprint serves the pages and the
API: Flask-Limiter's check, its headers and its clean-up, CSRFProtect's token check, Flask-Login's
remember-me cookie, the refusal of NUL characters in typed text. A webhook is the provider
calling with a signature, never a person with a browser, and the busiest route of all after a
campaign: none of those hooks has anything to do there, yet each costs time on every request.
So once every extension and blueprint has registered, `keep_webhooks_lean` wraps each app-wide
hook to step aside under `/webhooks/`. A blueprint's own hooks still run: the webhooks
blueprint declares whatever its routes need on itself. (Sessions are kept off those paths in
`web/sessions.py`: no cookie is read or written there.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, request

from outreach.web.sessions import is_webhook


def keep_webhooks_lean(app: Flask) -> None:
    """Make every app-wide before-, after- and teardown-request hook skip webhook requests."""
    kinds = (
        (app.before_request_funcs, False),
        (app.after_request_funcs, True),  # hands the response on unchanged
        (app.teardown_request_funcs, False),
    )
    for hooks, passes_response in kinds:
        hooks[None] = [_for_people(hook, passes_response) for hook in hooks.get(None, [])]


def _for_people(hook: Callable, passes_response: bool) -> Callable:
    @wraps(hook)
    def for_people(*args):
        if is_webhook(request.path):
            return args[0] if passes_response else None
        return hook(*args)

    return for_people
