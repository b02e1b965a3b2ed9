"""A PostgreSQL database of its own for each pytest-xdist worker, made from TEST_DATABASE_URL.

Worker gw0 of a run on `…/outreach_ci` uses `…/outreach_ci_gw0`: created (fresh) when the
worker starts, dropped when it ends. Made through the server's `postgres` database.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def worker_url(url: str, worker: str) -> str:
    """The URL of `worker`'s own database beside the one `url` names."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def create_fresh(url: str) -> None:
    """Create the database `url` names, dropping any left by an earlier run."""
    _run(url, "DROP DATABASE IF EXISTS {name} WITH (FORCE)", "CREATE DATABASE {name}")


def drop(url: str) -> None:
    """Drop the database `url` names, closing any connection still open to it."""
    _run(url, "DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _run(url: str, *statements: str) -> None:
    parsed = make_url(url)
    name = '"' + parsed.database.replace('"', '""') + '"'
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement.format(name=name)))
    finally:
        engine.dispose()
