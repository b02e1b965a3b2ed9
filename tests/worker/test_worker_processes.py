"""Real worker processes: killed mid-campaign, and two sharing one campaign.

The workers run `python -m outreach.cli worker` against the test database and send through the
real twilio SDK to the local Twilio-compatible server over HTTP.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

import pytest
from sqlalchemy import select
from worker_support import (
    FINAL,
    add_contacts,
    counts,
    launch,
    start_worker,
    stop,
    wait_until,
    worker_env,
)

from outreach.extensions import db
from outreach.models import Message, MessageStatus

# Mostly waiting on real processes or a paced campaign: started first in a parallel run.
pytestmark = pytest.mark.slow


def test_a_killed_worker_neither_loses_nor_doubles_a_message(
    app, twilio_server, make_campaign, region, tmp_path
):
    add_contacts(region("pk-isb"), 300, "+92301")
    campaign = launch(make_campaign, ("pk-isb",), rate=100)
    twilio_server.latency = 0.05
    env = worker_env(app, twilio_server)

    first = start_worker(env, tmp_path / "first.log")
    try:
        wait_until(lambda: len(twilio_server.messages) >= 80, 60, [first])
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = start_worker(env, tmp_path / "second.log")
    try:
        wait_until(lambda: set(counts(campaign.id)) <= FINAL, 90, [second])
    finally:
        stop(second)

    rows = db.session.execute(select(Message).where(Message.campaign_id == campaign.id)).scalars()
    by_phone = {m.to_phone: m for m in rows}
    created = Counter(m["to"] for m in twilio_server.messages)
    assert len(by_phone) == 300
    assert max(created.values()) == 1, "a message was sent twice"
    interrupted = [m for m in by_phone.values() if m.status == MessageStatus.INTERRUPTED]
    for phone, message in by_phone.items():
        if message.status == MessageStatus.SENT:
            assert created[phone] == 1, f"{phone} recorded sent but the provider never got it"
    assert set(created) <= set(by_phone)
    assert len(interrupted) <= 8  # at most the requests in flight when the worker died
    assert sum(created.values()) >= 300 - len(interrupted)


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several workers share one campaign on PostgreSQL (SQLite has one writer)",
)
def test_two_workers_share_a_campaign_without_sending_anything_twice(
    app, twilio_server, make_campaign, region, tmp_path
):
    codes = ("pk-isb", "pk-lhr", "pk-pew", "kg-osh", "tj-dyu")
    for number, code in enumerate(codes):
        place = region(code)
        place.sender_number = f"+1500555001{number}"
        add_contacts(place, 1000, f"+9230{number}")
    db.session.commit()
    campaign = launch(make_campaign, codes, rate=100)
    env = worker_env(app, twilio_server)

    workers = [start_worker(env, tmp_path / f"worker{n}.log", concurrency=16) for n in (1, 2)]
    try:
        wait_until(lambda: counts(campaign.id) == Counter({MessageStatus.SENT: 5000}), 180, workers)
    finally:
        for worker in workers:
            stop(worker)

    created = Counter(m["to"] for m in twilio_server.messages)
    assert len(created) == 5000
    assert max(created.values()) == 1
    claimed_by = {r.claimed_by for r in db.session.execute(select(Message)).scalars()}
    assert claimed_by == {None}
    per_sender = Counter(r.form.get("From") for r in twilio_server.requests if r.form)
    assert len(per_sender) == len(codes)
