"""Claims a live worker lost track of, renewed claims, and outcomes recorded after a DB error."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker
from support import MORNING, run_until_idle

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.messaging import outbox
from outreach.messaging.dispatcher import Dispatcher
from outreach.messaging.simulator import SimulatorProvider, in_process_delivery
from outreach.models import Message, MessageStatus


def _messages(campaign_id: int) -> list[Message]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Message).where(Message.campaign_id == campaign_id).order_by(Message.id)
    )
    return list(rows.scalars())


def _spy_sends(dispatcher, monkeypatch) -> list[str]:
    sent: list[str] = []
    real = dispatcher.provider.send_sms

    def send_sms(sms):
        sent.append(sms.to)
        return real(sms)

    monkeypatch.setattr(dispatcher.provider, "send_sms", send_sms)
    return sent


def _database_down(*_args, **_kwargs):
    raise OperationalError("UPDATE messages", {}, Exception("server closed the connection"))


def _campaign(make_contact, make_campaign, contacts: int, **kw):
    for _ in range(contacts):
        make_contact("pk-isb")
    campaign = make_campaign(**kw)
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    return campaign


def _second_dispatcher(app, dispatcher, callbacks: bool = True) -> Dispatcher:
    deliver = in_process_delivery(app) if callbacks else None
    provider = SimulatorProvider(app.config, deliver=deliver)
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    clock = dispatcher.clock_state
    return Dispatcher(
        sessions, provider, app.config, dispatcher.settings, clock=lambda: clock["now"]
    )


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_claim_a_live_worker_lost_track_of_returns_to_the_queue_after_the_claim_timeout(
    app, make_contact, make_campaign, dispatcher, monkeypatch
):
    campaign = _campaign(make_contact, make_campaign, 3)
    timeout = dispatcher.settings.claim_timeout
    later = MORNING + timeout + timedelta(seconds=1)
    # Another worker, alive and beating, claimed all three; it renewed one claim a minute ago
    # and had one in `sending` when it lost track of it and of the first.
    outbox.claim_batch(db.session, "elsewhere:1:a", MORNING, 10)
    stale, fresh, in_flight = _messages(campaign.id)
    fresh.claimed_at = later - timedelta(minutes=1)
    in_flight.status = MessageStatus.SENDING
    outbox.beat(db.session, "elsewhere:1:a", "elsewhere", 1, later)
    db.session.commit()
    sent = _spy_sends(dispatcher, monkeypatch)

    dispatcher.clock_state["now"] = later
    dispatcher.heartbeat()

    stale, fresh, in_flight = _messages(campaign.id)
    assert (stale.status, stale.claimed_by) == (MessageStatus.QUEUED, None)
    assert fresh.claimed_by == "elsewhere:1:a"  # a claim renewed in time is kept
    assert (in_flight.status, in_flight.claimed_by) == (MessageStatus.INTERRUPTED, None)
    assert in_flight.error_message.startswith("its claim was not renewed while this message")
    run_until_idle(dispatcher)
    assert sent == [stale.to_phone]  # the stale one is sent, once; the interrupted one never


def test_a_claim_lost_to_a_database_error_returns_at_the_next_heartbeat(
    app, make_contact, make_campaign, dispatcher, monkeypatch
):
    campaign = _campaign(make_contact, make_campaign, 1)
    sent = _spy_sends(dispatcher, monkeypatch)
    # The claim is committed, then the database goes away before the message is prepared.
    with monkeypatch.context() as patch:
        patch.setattr(dispatcher, "_prepare", _database_down)
        with pytest.raises(OperationalError):
            dispatcher.dispatch_once()
    [message] = _messages(campaign.id)
    assert message.claimed_by == dispatcher.worker_id

    dispatcher.heartbeat()  # well before any claim timeout

    [message] = _messages(campaign.id)
    assert (message.status, message.claimed_by) == (MessageStatus.QUEUED, None)
    run_until_idle(dispatcher)
    assert sent == [message.to_phone]


def test_a_sent_message_whose_recording_failed_keeps_its_sid_and_is_not_resent(
    app, make_contact, make_campaign, dispatcher, monkeypatch
):
    campaign = _campaign(make_contact, make_campaign, 1)
    # No status callbacks: only the dispatcher's own record can tell the message went.
    dispatcher = _second_dispatcher(app, dispatcher, callbacks=False)
    sent = _spy_sends(dispatcher, monkeypatch)
    failures = iter([True])
    real = outbox.set_provider_sid

    def set_provider_sid(session, message_id, sid):
        if next(failures, False):
            _database_down()
        real(session, message_id, sid)

    monkeypatch.setattr(outbox, "set_provider_sid", set_provider_sid)
    try:
        run_until_idle(dispatcher)  # the record is tried again a second later
    finally:
        dispatcher.close()

    [message] = _messages(campaign.id)
    assert message.status == MessageStatus.SENT
    assert message.provider_sid in dispatcher.provider._accepted
    assert sent == [message.to_phone]


def test_a_claim_waiting_for_its_place_under_the_rate_is_renewed_not_taken(
    app, make_contact, make_campaign, dispatcher, monkeypatch
):
    # At one message per 20 s, the second waits for its place long past the claim timeout.
    campaign = _campaign(make_contact, make_campaign, 2, rate_per_second=0.05)
    sent = _spy_sends(dispatcher, monkeypatch)
    other = _second_dispatcher(app, dispatcher)
    try:
        dispatcher.dispatch_once()
        _wait_for(lambda: len(sent) == 1)
        # Either message may take the first place under the rate: the other one waits.
        [waiting] = [m for m in _messages(campaign.id) if m.to_phone not in sent]
        assert waiting.claimed_by == dispatcher.worker_id

        later = MORNING + dispatcher.settings.claim_timeout * 2
        dispatcher.clock_state["now"] = later
        dispatcher.heartbeat()  # renews the claims it still works on
        other.heartbeat()  # another worker's recovery finds nothing stale

        [waiting] = [m for m in _messages(campaign.id) if m.id == waiting.id]
        assert waiting.claimed_by == dispatcher.worker_id
        assert waiting.claimed_at == later
    finally:
        dispatcher.close()  # the waiting message is given back unsent
        other.close()
    [waiting] = [m for m in _messages(campaign.id) if m.id == waiting.id]
    assert (waiting.status, waiting.claimed_by) == (MessageStatus.QUEUED, None)
    assert len(sent) == 1 and sent != [waiting.to_phone]


def test_a_claim_taken_over_after_the_timeout_is_sent_once_by_the_new_claimant(
    app, make_contact, make_campaign, dispatcher, monkeypatch
):
    # The first worker's second message waits 3 s for its place; meanwhile its claim times out
    # (the worker is alive but did not renew it) and another worker takes it over and sends it.
    campaign = _campaign(make_contact, make_campaign, 2, rate_per_second=0.33)
    sent = _spy_sends(dispatcher, monkeypatch)
    other = _second_dispatcher(app, dispatcher)
    sent_by_other = _spy_sends(other, monkeypatch)
    marked = []
    real_mark_sending = outbox.mark_sending

    def mark_sending(session, message_id, worker_id, *args, **kwargs):
        done = real_mark_sending(session, message_id, worker_id, *args, **kwargs)
        marked.append((message_id, worker_id, done))
        return done

    monkeypatch.setattr(outbox, "mark_sending", mark_sending)
    try:
        dispatcher.dispatch_once()
        _wait_for(lambda: len(sent) == 1)
        later = MORNING + dispatcher.settings.claim_timeout * 2
        outbox.beat(db.session, dispatcher.worker_id, "here", 1, later)
        db.session.commit()
        dispatcher.clock_state["now"] = later
        other.heartbeat()
        assert other.dispatch_once() == 1
        other.drain()
        dispatcher.drain()  # its place comes: `sending` is refused, the claim being gone
    finally:
        dispatcher.close()
        other.close()
    # Either message may be the one the first worker sent at once (its threads race for the
    # first place); the other is the one taken over.
    by_phone = {m.to_phone: m for m in _messages(campaign.id)}
    assert len(sent) == 1 and len(sent_by_other) == 1
    assert set(sent + sent_by_other) == set(by_phone)
    taken_over = by_phone[sent_by_other[0]]
    assert taken_over.status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    assert (taken_over.id, dispatcher.worker_id, False) in marked
