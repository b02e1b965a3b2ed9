"""Real worker processes: killed mid-campaign, and two sharing one campaign.

The workers run `python -m outreach.cli worker` against the test database and send through the
real twilio SDK to the local Twilio-compatible server over HTTP.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, insert, select

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.models import Campaign, Contact, Message, MessageStatus, Region, utcnow

FINAL = {MessageStatus.SENT, MessageStatus.INTERRUPTED}


def _worker_env(app, twilio_server) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret",
        "OUTREACH_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": twilio_server.account_sid,
        "TWILIO_AUTH_TOKEN": twilio_server.auth_token,
        "TWILIO_API_BASE_URL": twilio_server.base_url,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "OUTREACH_HEARTBEAT_SECONDS": "0.5",
        "OUTREACH_WORKER_TIMEOUT": "2",
    }


def _start_worker(env: dict, log_path, concurrency: int = 8) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "outreach.cli", "worker", "--concurrency", str(concurrency)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    process.log_path = log_path
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _contacts(region: Region, count: int, prefix: str) -> None:
    now = utcnow()
    db.session.execute(
        insert(Contact),
        [
            {
                "phone": f"{prefix}{i:07d}",
                "region_id": region.id,
                "language": "en",
                "consent": "opted_in",
                "consent_changed_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ],
    )


def _launch(make_campaign, regions, rate) -> Campaign:
    campaign = make_campaign(
        regions=regions,
        window_start=0,
        window_end=1440,
        rate_per_second=rate,
        texts={"en": "Safe migration: call {mrc_name}."},
    )
    campaign.next_run_at = utcnow()
    db.session.commit()
    fire_due_campaigns(db.session, utcnow())
    db.session.commit()
    return campaign


def _counts(campaign_id: int) -> Counter:
    db.session.expire_all()
    rows = db.session.execute(
        select(Message.status, func.count())
        .where(Message.campaign_id == campaign_id)
        .group_by(Message.status)
    )
    return Counter(dict(rows.all()))


def _wait_until(condition, timeout: float, processes=()) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(process.log_path.read_text()[-3000:])
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_killed_worker_neither_loses_nor_doubles_a_message(
    app, twilio_server, make_campaign, region, tmp_path
):
    _contacts(region("pk-isb"), 300, "+92301")
    campaign = _launch(make_campaign, ("pk-isb",), rate=100)
    twilio_server.latency = 0.05
    env = _worker_env(app, twilio_server)

    first = _start_worker(env, tmp_path / "first.log")
    try:
        _wait_until(lambda: len(twilio_server.messages) >= 80, 60, [first])
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = _start_worker(env, tmp_path / "second.log")
    try:
        _wait_until(lambda: set(_counts(campaign.id)) <= FINAL, 90, [second])
    finally:
        _stop(second)

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
        _contacts(place, 1000, f"+9230{number}")
    db.session.commit()
    campaign = _launch(make_campaign, codes, rate=100)
    env = _worker_env(app, twilio_server)

    workers = [_start_worker(env, tmp_path / f"worker{n}.log", concurrency=16) for n in (1, 2)]
    try:
        _wait_until(
            lambda: _counts(campaign.id) == Counter({MessageStatus.SENT: 5000}), 180, workers
        )
    finally:
        for worker in workers:
            _stop(worker)

    created = Counter(m["to"] for m in twilio_server.messages)
    assert len(created) == 5000
    assert max(created.values()) == 1
    claimed_by = {r.claimed_by for r in db.session.execute(select(Message)).scalars()}
    assert claimed_by == {None}
    per_sender = Counter(r.form.get("From") for r in twilio_server.requests if r.form)
    assert len(per_sender) == len(codes)
