"""Benchmark: fanning a campaign out to 100,000 contacts against a raw executemany of the same rows.

    .venv/bin/python bench/fanout.py                       # 100,000 contacts, SQLite file
    .venv/bin/python bench/fanout.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/fanout.py --contacts 20000

Setup (not timed): a fresh database at head by the real migrations (a SQLite file in a temporary
folder, or a throwaway PostgreSQL database created next to the one named and dropped
afterwards); `--contacts` opted-in contacts in one region, inserted in chunks; a running campaign
for that region, due now.

Baseline: a raw DBAPI `executemany` INSERT into the same `messages` table of the same database
of exactly the rows fan-out writes (same columns, same values, under a second run of the same
campaign so the unique key holds), then a commit. Those rows are then deleted and the table
vacuumed, so the fan-out starts from the same table.

Measured: `fire_campaign` — the run row, the set-based `fan_out` (INSERT … SELECT … ON CONFLICT
DO NOTHING) and the commit — and the number of message rows it created is checked.

Target (issue 3): fan-out ≤ 3× the baseline. This is not a test; it prints figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

TARGET = 3.0
COLUMNS = (
    "direction",
    "campaign_id",
    "run_id",
    "contact_id",
    "region_id",
    "to_phone",
    "language",
    "segments",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
)


def _stamp(now: datetime, dialect: str):
    """`now` as SQLAlchemy binds it: naive UTC text on SQLite, timestamptz on PostgreSQL."""
    if dialect == "sqlite":
        return now.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


def baseline_rows(session, campaign_id: int, run_id: int, now: datetime, dialect: str) -> list:
    """The rows fan-out would write for this run, as DBAPI parameter tuples."""
    from sqlalchemy import select

    from outreach.models import ConsentState, Contact

    stamp = _stamp(now, dialect)
    contacts = session.execute(
        select(Contact.id, Contact.region_id, Contact.phone, Contact.language).where(
            Contact.consent == ConsentState.OPTED_IN
        )
    ).all()
    return [
        ("outbound", campaign_id, run_id, cid, rid, to, lang, 1, "queued", 0, stamp, stamp, stamp)
        for cid, rid, to, lang in contacts
    ]


def time_baseline(engine, rows: list, dialect: str) -> float:
    """Seconds for a raw DBAPI executemany of `rows` into `messages`, and its commit."""
    mark = "?" if dialect == "sqlite" else "%s"
    sql = f"INSERT INTO messages ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        cursor.executemany(sql, rows)
        raw.commit()
        elapsed = time.perf_counter() - started
        cursor.close()
    finally:
        raw.close()
    return elapsed


def count_messages(session, run_id: int) -> int:
    from sqlalchemy import func, select

    from outreach.models import Message

    return session.execute(select(func.count()).where(Message.run_id == run_id)).scalar_one()


def bench(contacts: int, url: str | None) -> None:
    from sqlalchemy import delete

    from outreach.campaigns.scheduling import fire_campaign
    from outreach.extensions import db
    from outreach.models import Campaign, CampaignRun, Message, RunStatus

    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        folder = Path(tmp)
        with _common.fresh_database(url, folder, "bench_fanout") as database_url:
            dialect = _common.dialect_of(database_url)
            app = _common.migrated_app(database_url, folder)
            with app.app_context():
                session = db.session
                _common.insert_contacts(session, _common.region_id(session), contacts)
                now = datetime.now(UTC)
                campaign = _common.add_campaign(session, next_run_at=now)
                campaign_id = campaign.id
                other = CampaignRun(
                    campaign_id=campaign_id,
                    scheduled_for=now - timedelta(days=1),
                    status=RunStatus.DONE,
                    started_at=now,
                )
                session.add(other)
                session.commit()
                rows = baseline_rows(session, campaign_id, other.id, now, dialect)
                session.remove()

                base = time_baseline(db.engine, rows, dialect)
                base_count = count_messages(db.session, other.id)
                db.session.execute(delete(Message).where(Message.run_id == other.id))
                db.session.commit()
                db.session.remove()
                _common.vacuum(app)

                campaign = db.session.get(Campaign, campaign_id)
                started = time.perf_counter()
                run = fire_campaign(db.session, campaign, now)
                db.session.commit()
                elapsed = time.perf_counter() - started
                fanned = count_messages(db.session, run.id)
                db.session.remove()
                db.engine.dispose()

    ratio = elapsed / base
    verdict = "met" if ratio <= TARGET and fanned == contacts else "MISSED"
    print(f"contacts: {contacts:,} opted in, one region; database: {dialect}")
    print(f"baseline (raw DBAPI executemany + commit): {base:.3f} s  ({base_count:,} rows)")
    print(f"fan-out (fire_campaign + commit):          {elapsed:.3f} s  ({fanned:,} rows)")
    print(f"ratio: {ratio:.2f} (target ≤ {TARGET:g}) — {verdict}")
    if fanned != contacts or base_count != contacts:
        print(f"ROW COUNT WRONG: expected {contacts:,} in each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    bench(args.contacts, args.database_url)


if __name__ == "__main__":
    main()
