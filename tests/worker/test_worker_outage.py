"""A real `outreach worker` process whose database goes away mid-campaign, and one that gives up.

On PostgreSQL the worker connects through a proxy the test cuts (every connection closed, new
ones refused); on SQLite another connection holds the write lock past the busy timeout. The
worker sends through the real twilio SDK to the local Twilio-compatible server, which counts
what each number really received.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter

import pytest
from db_outage import PostgresOutage, SqliteOutage
from sqlalchemy import func, select
from worker_support import add_contacts, counts, launch, start_worker, stop, wait_until, worker_env

from outreach.extensions import db
from outreach.models import Message, MessageStatus, WorkerHeartbeat
from outreach.worker import EXIT_GAVE_UP

# Mostly waiting on real processes or a paced campaign: started first in a parallel run.
pytestmark = pytest.mark.slow

# Longer than SQLite's busy timeout (10 s) and than the worker timeout the workers run with here
# (2 s), so the worker is taken for gone and its loops back off several times.
OUTAGE_SECONDS = 13
CONTACTS = 200
RECORDING_FAILED = re.compile(r"recording message \d+ sent as SM\w+ failed; trying again")


@pytest.fixture
def outage(app):
    """Takes the database away from a worker process: `outage.url` is what the worker uses."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    made = PostgresOutage(url) if url.startswith("postgresql") else SqliteOutage(url)
    yield made
    made.close()


def _heartbeats() -> list[WorkerHeartbeat]:
    db.session.expire_all()
    return list(db.session.execute(select(WorkerHeartbeat)).scalars())


def test_a_worker_outlives_its_database_going_away_mid_campaign(
    app, twilio_server, make_campaign, region, tmp_path, outage
):
    add_contacts(region("pk-isb"), CONTACTS, "+92301")
    campaign = launch(make_campaign, ("pk-isb",), rate=10)
    twilio_server.latency = 0.5  # at 10/s about five requests are in flight when it goes
    env = {**worker_env(app, twilio_server), "DATABASE_URL": outage.url}
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        wait_until(lambda: len(twilio_server.messages) >= 40, 60, [worker])
        outage.begin()
        at_cut = len(twilio_server.messages)
        time.sleep(OUTAGE_SECONDS)
        # SQLite's busy timeout adds up the sleeps it asked for, which a busy machine stretches:
        # the outage lasts until recording an answer has failed, however long that takes here.
        wait_until(lambda: RECORDING_FAILED.search(worker.log_path.read_text()), 60, [worker])
        during = len(twilio_server.messages) - at_cut
        outage.end()
        wait_until(
            lambda: counts(campaign.id) == Counter({MessageStatus.SENT: CONTACTS}), 60, [worker]
        )
        assert worker.poll() is None, "the worker process ended"
        [beat] = _heartbeats()  # one worker all along: never restarted
        assert beat.pid == worker.pid
    finally:
        stop(worker)

    log = worker.log_path.read_text()
    assert "failed; trying again" in log and "works again" in log, log[-3000:]
    # Requests in flight when it went: their answers were recorded once it was back.
    assert RECORDING_FAILED.search(log)
    # Nothing new went out while the database was away: only requests already in flight.
    assert during <= 8
    created = Counter(m["to"] for m in twilio_server.messages)
    assert len(created) == CONTACTS
    assert max(created.values()) == 1, "a message was sent twice"
    db.session.expire_all()
    rows = db.session.execute(select(Message).where(Message.campaign_id == campaign.id))
    recorded = {m.to_phone: m.provider_sid for m in rows.scalars()}
    # Each message keeps the SID the provider gave it, even one whose answer came while the
    # database was away.
    assert recorded == {m["to"]: m["sid"] for m in twilio_server.messages}
    assert db.session.scalar(select(func.count()).where(Message.claimed_by.is_not(None))) == 0


def test_a_worker_whose_database_stays_away_exits_non_zero_for_its_supervisor(
    app, twilio_server, tmp_path, outage
):
    env = {
        **worker_env(app, twilio_server),
        "DATABASE_URL": outage.url,
        "WORKER_GIVE_UP_SECONDS": "3",
    }
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        wait_until(lambda: len(_heartbeats()) == 1, 30, [worker])
        outage.begin()
        try:
            code = worker.wait(40)
        except subprocess.TimeoutExpired:
            code = None
        outage.end()
    finally:
        stop(worker)
    log = worker.log_path.read_text()
    assert code == EXIT_GAVE_UP, log[-3000:]
    assert "giving up" in log
