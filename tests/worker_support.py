"""Helpers for tests that run real `outreach worker` processes (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from sqlalchemy import func, insert, select

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.models import Campaign, Contact, Message, MessageStatus, Region, utcnow

FINAL = {MessageStatus.SENT, MessageStatus.INTERRUPTED}


def worker_env(app, twilio_server) -> dict:
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


def start_worker(env: dict, log_path, concurrency: int = 8) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "outreach.cli", "worker", "--concurrency", str(concurrency)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    process.log_path = log_path
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def add_contacts(region: Region, count: int, prefix: str) -> None:
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


def launch(make_campaign, regions, rate) -> Campaign:
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


def counts(campaign_id: int) -> Counter:
    db.session.expire_all()
    rows = db.session.execute(
        select(Message.status, func.count())
        .where(Message.campaign_id == campaign_id)
        .group_by(Message.status)
    )
    return Counter(dict(rows.all()))


def wait_until(condition, timeout: float, processes=()) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(process.log_path.read_text()[-3000:])
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
