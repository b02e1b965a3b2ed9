"""Setup shared by the benchmarks: a fresh database at head, contacts and campaigns inserted fast.

Nothing here is timed. A SQLite file lives in a temporary folder; a PostgreSQL URL names a
server and a database beside which a throwaway database is created and dropped afterwards (the
named database itself is not touched).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REGION = "pk-isb"
ACCOUNT_SID = "AC" + "0" * 32  # what tests/twilio_server.py expects
AUTH_TOKEN = "test-auth-token"
OUR_NUMBER = "+15005550006"
INSERT_CHUNK = 5_000


def phone(i: int) -> str:
    """A distinct, valid Pakistani mobile number (E.164) for contact number `i`."""
    return f"+92300{i:07d}"


def dialect_of(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


@contextlib.contextmanager
def fresh_database(url: str | None, folder: Path, prefix: str) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a throwaway PostgreSQL database."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    base = make_url(url)
    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated_app(database_url: str, folder: Path, **config):
    """An app on `database_url`, brought to head by the real migrations."""
    import flask_migrate

    from outreach import create_app

    settings = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "bench",
        "UPLOAD_FOLDER": str(folder / "uploads"),
        **config,
    }
    app = create_app(settings)
    app.instance_path = str(folder / "instance")
    with app.app_context(), contextlib.redirect_stderr(open(os.devnull, "w")):  # noqa: SIM115
        flask_migrate.upgrade()
    return app


def region_id(session, code: str = REGION) -> int:
    from sqlalchemy import select

    from outreach.models import Region

    return session.execute(select(Region.id).where(Region.code == code)).scalar_one()


def insert_contacts(session, region: int, count: int, language: str = "ur") -> None:
    """`count` opted-in contacts in one region, inserted in chunks by Core (setup, not timed)."""
    from sqlalchemy import insert

    from outreach.models import ConsentState, Contact

    now = datetime.now(UTC)
    for start in range(0, count, INSERT_CHUNK):
        rows = [
            {
                "phone": phone(i),
                "region_id": region,
                "language": language,
                "name": f"Contact {i}",
                "consent": ConsentState.OPTED_IN.value,
                "consent_changed_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(start, min(start + INSERT_CHUNK, count))
        ]
        session.execute(insert(Contact.__table__), rows)
    session.commit()


def add_campaign(session, region_code: str = REGION, **kw):
    """A running SMS campaign due now, with the topic's texts (like tests' `make_campaign`)."""
    from sqlalchemy import select

    from outreach.content import get_topic
    from outreach.models import Campaign, CampaignStatus, Region

    topic = kw.pop("topic", "irregular-migration")
    campaign = Campaign(
        name=kw.pop("name", "Safe migration (benchmark)"),
        topic=topic,
        channel="sms",
        status=kw.pop("status", CampaignStatus.RUNNING),
        texts=kw.pop("texts", None) or dict(get_topic(topic).texts),
        next_run_at=kw.pop("next_run_at", datetime.now(UTC)),
        rate_per_second=kw.pop("rate_per_second", 50),
        regions=[session.execute(select(Region).where(Region.code == region_code)).scalar_one()],
        **kw,
    )
    session.add(campaign)
    session.commit()
    return campaign


def vacuum(app) -> None:
    """Reclaim deleted rows and refresh statistics so a later step starts from a clean table."""
    from sqlalchemy import text

    from outreach.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(
                text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "VACUUM")
            )


def status_counts(session, model, campaign_id: int) -> dict[str, int]:
    """How many of a campaign's messages or calls (`model`) are in each status."""
    from sqlalchemy import func, select

    rows = session.execute(
        select(model.status, func.count())
        .where(model.campaign_id == campaign_id)
        .group_by(model.status)
    )
    return {str(status): count for status, count in rows}


class CpuMeter:
    """CPU seconds used inside the block by a server's processes and by PostgreSQL's.

    Requests per second on a shared two-core machine swing with the other loads; the CPU each
    request took swings much less, so the webhook benchmarks print it beside their rates. Read
    from /proc: a server on this machine (`server_pid` and its children; every process named
    `postgres`). Processes that end inside the block are not counted.
    """

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.server = self.database = 0.0

    def __enter__(self) -> CpuMeter:
        self._start = self._sample()
        return self

    def __exit__(self, *exc) -> None:
        end = self._sample()
        for part in ("server", "database"):
            used = sum(t - self._start[part].get(pid, 0.0) for pid, t in end[part].items())
            setattr(self, part, used)

    def _sample(self) -> dict[str, dict[int, float]]:
        server = _tree(self.server_pid)
        database = [pid for pid in _all_pids() if _comm(pid) == "postgres"]
        return {"server": _cpu(server), "database": _cpu(database)}


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _tree(root: int) -> list[int]:
    """`root` and its descendants."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return found


def _cpu(pids) -> dict[int, float]:
    """utime + stime of each process still there, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds
