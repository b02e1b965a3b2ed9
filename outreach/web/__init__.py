"""The web layer: blueprints for the UI, the JSON API and the provider's webhooks."""

from __future__ import annotations

from flask import Flask

from outreach.extensions import db
from outreach.models import User
from outreach.web.errors import register_error_handlers
from outreach.web.inputs import register_converters
from outreach.web.lean import keep_webhooks_lean
from outreach.web.sessions import LoginManager, PeopleOnlySessionInterface

# Log-in is the web layer's: only its views have a person behind them.
login_manager = LoginManager()


def register_blueprints(app: Flask) -> None:
    """Register every blueprint and the user loader."""
    register_converters(app)  # before any rule: every `<int:…>` is bounded
    app.session_interface = PeopleOnlySessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.user_loader(_load_user)
    register_error_handlers(app)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    keep_webhooks_lean(app)  # last: every app-wide hook is registered by now


def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


def _blueprints() -> list:
    """Each blueprint module of the web layer; add new ones here."""
    from outreach.web import (
        api,
        audio,
        auth,
        callbacks,
        campaigns,
        contacts,
        dashboard,
        imports,
        layout,
        lists,
        prices,
        regions,
        simulator,
        simulator_calls,
        test_phones,
        voice_prompts,
        voice_webhooks,
        webhooks,
    )

    # The voice webhooks are views on the webhooks blueprint, added to it by importing them.
    assert voice_webhooks.bp is webhooks.bp

    return [
        layout.bp,
        auth.bp,
        dashboard.bp,
        regions.bp,
        contacts.bp,
        lists.bp,
        imports.bp,
        campaigns.bp,
        callbacks.bp,
        simulator.bp,
        simulator_calls.bp,
        prices.bp,
        test_phones.bp,
        voice_prompts.bp,
        api.bp,
        audio.bp,
        webhooks.bp,
    ]
