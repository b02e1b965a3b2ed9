"""MRC Outreach: SMS and voice-menu outreach for Migrant Resource Centres."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from outreach.config import load_settings
from outreach.extensions import csrf, db, limiter, login_manager, migrate
from outreach.web.stale import RetryingFlask


def create_app(config: dict | None = None) -> Flask:
    """The app factory: settings, extensions, blueprints and commands, each a named step."""
    app = RetryingFlask(__name__, instance_relative_config=True)
    app.config.update(load_settings(app.instance_path, config))
    trust_proxies(app)
    register_extensions(app)
    register_provider(app)
    register_blueprints(app)
    register_commands(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from the
    X-Forwarded-For and X-Forwarded-Proto they set (never from a client: 0 trusts none)."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def register_extensions(app: Flask) -> None:
    """Bind the extensions created once in `extensions.py`."""
    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Foreign keys on, WAL so the worker and the web app can share the file, and a `lower()`
    that folds every script (SQLite's own folds only A–Z), so searching "айгуль" finds "Айгуль"."""
    dbapi_connection.create_function("lower", 1, _fold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: safe from crashes, fewer fsyncs
    cursor.execute("PRAGMA wal_autocheckpoint=16384")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _fold(value):
    return value.lower() if isinstance(value, str) else value


def register_provider(app: Flask) -> None:
    """The provider registry, kept on the app: the one place provider kinds are named.

    Whoever sends takes the configured provider from it (`messaging.registry.app_provider`),
    built on first use; the simulator's callbacks reach this app in-process.
    """
    from outreach.messaging.registry import EXTENSION, ProviderRegistry
    from outreach.messaging.simulator import SimulatorProvider, in_process_delivery
    from outreach.messaging.twilio_provider import TwilioProvider

    kinds = {"simulator": SimulatorProvider, "twilio": TwilioProvider}
    app.extensions[EXTENSION] = ProviderRegistry(
        kinds, app.config, deliver=in_process_delivery(app)
    )


def register_blueprints(app: Flask) -> None:
    """The web UI, the API and the webhooks."""
    from outreach.web import register_blueprints as register

    register(app)


def register_commands(app: Flask) -> None:
    """`outreach …` commands, also available as `flask --app wsgi …`."""
    from outreach.cli import register_cli

    register_cli(app)
