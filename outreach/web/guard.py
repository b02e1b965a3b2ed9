"""The web UI's side of `outreach.permissions`: a view declares the action it performs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask_login import current_user, login_required

from outreach.permissions import Action, check


def requires(action: Action) -> Callable:
    """Log-in required, and the user's role must allow `action` (else 403).

    The action is kept on the view as `required_action`, so tests read it from the URL map.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            check(current_user.role, action)
            return view(*args, **kwargs)

        guarded = login_required(checked)
        guarded.required_action = action
        return guarded

    return decorate
