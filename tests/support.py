"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime

from sqlalchemy import event, func, select

from outreach.extensions import db

PASSWORD = "correct horse battery"
# The cheapest hash werkzeug makes: with scrypt, hashing and checking passwords was about half
# of the suite's setup time. Production keeps the default (scrypt).
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"

# 10:30 in Karachi and Dushanbe, 11:00 in Kabul, 11:30 in Bishkek: inside a 09:00–20:00 window.
MORNING = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)


def run_until_idle(dispatcher) -> None:
    """Dispatch until nothing is due, then wait for the simulator's callbacks."""
    while dispatcher.dispatch_once():
        dispatcher.drain()
    dispatcher.drain()
    dispatcher.provider.flush()


def app_settings(database_url: str, tmp_path) -> dict:
    """The settings every test app is made with."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "OUTREACH_PROVIDER": "simulator",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "test-auth-token",
        "PUBLIC_BASE_URL": "http://localhost",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "RATELIMIT_ENABLED": True,
        "PASSWORD_HASH_METHOD": PASSWORD_HASH_METHOD,
    }


@contextlib.contextmanager
def counted():
    """Count the SQL statements and the COMMITs sent to the database inside the block."""
    seen = {"statements": [], "commits": 0}

    def statement(conn, cursor, sql, *args):
        seen["statements"].append(sql.split()[0])
        seen.setdefault("sql", []).append(sql[:200])

    def commit(conn):
        seen["commits"] += 1

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(db.engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(db.engine, "commit", commit)


def count_rows(model, *where) -> int:
    """How many rows of `model` (those matching `where`) the test's database holds."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@contextlib.contextmanager
def served_over_http(app, name: str = "live-server"):
    """The app served by werkzeug in a thread (a request per thread) for the block; its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
