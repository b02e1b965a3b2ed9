"""Nobody receives a message after they opted out, end to end with the real twilio SDK.

A campaign at 2 messages a second goes to 40 people through a running dispatcher (the worker's
own settings, so every message is claimed at once and then waits for its place under the rate).
While it runs, five people who have not been reached yet opt out — by a signed STOP, or through
the JSON API. The local Twilio server records when each message reached it; none of the five may
receive anything more than a second after their opt-out was answered.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from twilio_fixtures import SENDER

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.messaging.dispatcher import Dispatcher
from outreach.messaging.twilio_provider import TwilioProvider
from outreach.models import Message, MessageStatus, utcnow
from outreach.worker import settings_from

# Mostly waiting on real processes or a paced campaign: started first in a parallel run.
pytestmark = pytest.mark.slow

INBOUND = "http://localhost/webhooks/twilio/sms"
PEOPLE = 40
LEAVING = 5
BOUND = 1.0  # seconds: nothing may reach a person later than this after their opt-out
FINISHED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED)


@contextmanager
def running_dispatcher(app):
    """The dispatcher the worker runs, looping in a thread on the real clock."""
    provider = TwilioProvider.from_config(app.config)
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    dispatcher = Dispatcher(sessions, provider, app.config, settings_from(app.config))
    thread = threading.Thread(target=dispatcher.run, daemon=True)
    thread.start()
    try:
        yield dispatcher
    finally:
        dispatcher.stop_event.set()
        thread.join(timeout=30)
        provider.client.http_client.close()


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


def _all_finished(campaign_id: int) -> bool:
    db.session.rollback()  # a fresh snapshot of what the dispatcher committed
    statuses = db.session.execute(
        select(Message.status).where(Message.campaign_id == campaign_id)
    ).scalars()
    return all(status in FINISHED for status in statuses)


def _arrivals(server) -> dict[str, list[float]]:
    """When each recipient's accepted messages reached the server (time.monotonic())."""
    arrivals: dict[str, list[float]] = {}
    for request in server.requests:
        if request.is_create and request.status == 201:
            arrivals.setdefault(request.form["To"], []).append(request.started)
    return arrivals


@pytest.fixture
def opt_out(twilio_server, api, make_user):
    """Opt a contact out by a signed STOP or through the JSON API; returns the opt-out function."""

    def by_sms(contact_id: int, phone: str) -> None:
        answer = twilio_server.send_inbound_sms(INBOUND, phone, SENDER, "STOP")
        assert answer.status_code == 200

    def by_api(contact_id: int, phone: str) -> None:
        answer = client.post(f"/api/v1/contacts/{contact_id}/opt-out", json={"source": "call"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.get_json()["consent"] == "opted_out"

    client = api(make_user("coordinator", ["pk-isb"]))
    return {"sms": by_sms, "api": by_api}


@pytest.mark.parametrize("how", ["sms", "api"])
def test_nobody_receives_anything_more_than_a_second_after_opting_out(
    twilio_app, twilio_server, make_contact, make_campaign, opt_out, how
):
    people = {c.phone: c.id for c in (make_contact("pk-isb") for _ in range(PEOPLE))}
    now = utcnow()
    campaign = make_campaign(window_start=0, window_end=1440, next_run_at=now, rate_per_second=2)
    fire_due_campaigns(db.session, now)
    db.session.commit()

    stopped: dict[str, float] = {}  # phone -> when the app had answered the opt-out
    with running_dispatcher(twilio_app):
        for k in range(LEAVING):  # one at a time, as the campaign goes on
            twilio_server.wait_for(lambda s, k=k: len(s.messages) >= 20 + k, timeout=60)
            reached = set(_arrivals(twilio_server))
            phone = [p for p in people if p not in reached and p not in stopped][-1]
            opt_out[how](people[phone], phone)
            stopped[phone] = time.monotonic()
        _wait_until(lambda: _all_finished(campaign.id), 60, "every message sent or failed")

    arrivals = _arrivals(twilio_server)
    late = {
        phone: [round(t - at, 2) for t in arrivals.get(phone, []) if t > at + BOUND]
        for phone, at in stopped.items()
    }
    assert late == {phone: [] for phone in stopped}, "seconds after the opt-out"

    rows = {
        m.to_phone: m
        for m in db.session.execute(
            select(Message).where(Message.campaign_id == campaign.id)
        ).scalars()
    }
    for phone in stopped:  # refused where `sending` is committed, unless already on its way
        refused = (rows[phone].status, rows[phone].error_code) == (
            MessageStatus.FAILED,
            "opted_out",
        )
        assert refused or rows[phone].status in (MessageStatus.SENT, MessageStatus.DELIVERED)
        assert refused == (phone not in arrivals)
    assert set(arrivals) - set(stopped) == set(people) - set(stopped)  # the others: reached
    assert all(len(times) == 1 for times in arrivals.values())  # once each
    # The campaign was still going when the last person opted out.
    assert max(t for times in arrivals.values() for t in times) > max(stopped.values()) + BOUND
