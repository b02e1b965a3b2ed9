"""End to end with the real twilio SDK against the local Twilio-compatible server.

A campaign to three regions in four languages goes out through `TwilioProvider`; the server
sends signed status callbacks out of order and twice, and people reply by SMS.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from support import MORNING
from twilio_fixtures import SENDER

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.contacts.consent import apply_consent
from outreach.content import get_topic
from outreach.content.render import render_text
from outreach.extensions import db
from outreach.messaging.dispatcher import Dispatcher, DispatchSettings
from outreach.messaging.provider import OutboundSms, ProviderError
from outreach.messaging.twilio_provider import TwilioProvider
from outreach.models import (
    CallbackRequest,
    ConsentAction,
    ConsentChannel,
    ConsentState,
    Contact,
    Message,
    MessageStatus,
    Response,
    ResponseKind,
    utcnow,
)

INBOUND = "http://localhost/webhooks/twilio/sms"


@pytest.fixture
def twilio_dispatcher(twilio_app):
    provider = TwilioProvider.from_config(twilio_app.config)
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    made = Dispatcher(
        sessions,
        provider,
        twilio_app.config,
        DispatchSettings(concurrency=8, batch_size=4),
        clock=lambda: MORNING,
    )
    yield made
    made.close()
    provider.client.http_client.close()


def _drain(dispatcher) -> None:
    while dispatcher.dispatch_once():
        dispatcher.drain()
    dispatcher.drain()


def _people(make_contact):
    """Opted-in contacts in three regions and four languages, plus some who must get nothing."""
    reached = [
        make_contact("pk-isb", language="ur", name="Ayesha"),
        make_contact("pk-isb", language="ur"),
        make_contact("pk-isb", phone="+971501234567", language="en", name="Omar"),
        make_contact("kg-osh", phone="+996700100200", language="ky", name="Айгүл"),
        make_contact("kg-osh", phone="+996700100201", language="ru"),
        make_contact("tj-dyu", phone="+992931000001", language="tg", name="Фарҳод"),
        make_contact("tj-dyu", phone="+992931000002", language="ru", name="Ольга"),
    ]
    opted_out = make_contact("kg-osh", phone="+996700100202", language="ky")
    apply_consent(db.session, opted_out, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    elsewhere = make_contact("af-virtual", phone="+93701234567", language="fa-AF")
    db.session.commit()
    return reached, [opted_out, elsewhere]


def _expected_body(contact: Contact) -> str:
    values = {"name": contact.name or "", "mrc_name": contact.region.name, "mrc_phone": ""}
    return render_text(get_topic("irregular-migration").text(contact.language), values)


def test_campaign_reaches_each_opted_in_contact_once_in_their_language(
    twilio_app, twilio_server, twilio_dispatcher, make_contact, make_campaign
):
    reached, left_out = _people(make_contact)
    twilio_server.set_outcome(reached[1].phone, "sent", "undelivered", error_code=30003)
    make_campaign(regions=("pk-isb", "kg-osh", "tj-dyu"))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    _drain(twilio_dispatcher)

    sent = twilio_server.messages
    assert Counter(m["to"] for m in sent) == Counter(c.phone for c in reached)
    bodies = {m["to"]: m["body"] for m in sent}
    for contact in reached:
        assert bodies[contact.phone] == _expected_body(contact)
    assert {m["from"] for m in sent} == {SENDER}
    assert not {c.phone for c in left_out} & set(bodies)

    twilio_server.flush_callbacks(order="reverse", duplicate=True)
    db.session.expire_all()
    statuses = {
        m.to_phone: (m.status, m.error_code) for m in db.session.execute(select(Message)).scalars()
    }
    expected = {c.phone: (MessageStatus.DELIVERED, None) for c in reached}
    expected[reached[1].phone] = (MessageStatus.UNDELIVERED, "30003")
    assert statuses == expected


def test_replies_have_their_effect_and_stop_mid_campaign_holds(
    twilio_app, twilio_server, twilio_dispatcher, make_contact, make_campaign
):
    reached, _ = _people(make_contact)
    make_campaign(regions=("pk-isb", "kg-osh", "tj-dyu"))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    _drain(twilio_dispatcher)
    twilio_server.flush_callbacks()

    ayesha, _, omar, aigul, _, farhod, olga = reached
    answers = {
        ayesha.phone: "1",
        omar.phone: "2",
        aigul.phone: " СТОП ",
        farhod.phone: "stop",
        olga.phone: "Где находится центр?",
    }
    for phone, body in answers.items():
        assert twilio_server.send_inbound_sms(INBOUND, phone, SENDER, body).status_code == 200

    kinds = {
        r.contact_id: (r.kind, r.option) for r in db.session.execute(select(Response)).scalars()
    }
    assert kinds == {
        ayesha.id: (ResponseKind.ANSWER, "1"),
        omar.id: (ResponseKind.CALLBACK, "2"),
        aigul.id: (ResponseKind.OPT_OUT, None),
        farhod.id: (ResponseKind.OPT_OUT, None),
        olga.id: (ResponseKind.UNRECOGNISED, None),
    }
    callback = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (callback.contact_id, callback.region_id) == (omar.id, omar.region_id)
    for person in (aigul, farhod):
        db.session.refresh(person)
        assert person.consent == ConsentState.OPTED_OUT

    # A second campaign is fanned out; Ольга says STOP while it is being sent.
    second = make_campaign(regions=("pk-isb", "kg-osh", "tj-dyu"), name="Second wave")
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    twilio_dispatcher.dispatch_once()
    twilio_dispatcher.drain()
    twilio_server.send_inbound_sms(INBOUND, olga.phone, SENDER, "STOP")
    _drain(twilio_dispatcher)

    second_wave = [
        m for m in twilio_server.messages if m["body"] and m["to"] in {c.phone for c in reached}
    ][len(reached) :]
    got_second = Counter(m["to"] for m in second_wave)
    assert aigul.phone not in got_second and farhod.phone not in got_second
    olga_row = db.session.execute(
        select(Message).where(Message.campaign_id == second.id, Message.contact_id == olga.id)
    ).scalar_one()
    if olga.phone in got_second:  # it was already on its way when she wrote
        assert olga_row.status == MessageStatus.SENT
    else:
        assert (olga_row.status, olga_row.error_code) == (MessageStatus.FAILED, "opted_out")
    assert all(count == 1 for count in got_second.values())


def test_provider_errors_retry_fail_or_opt_out_as_they_should(
    twilio_app, twilio_server, twilio_dispatcher, make_contact, make_campaign
):
    gone = make_contact("kg-osh", phone="+996700100301", language="ru")
    bad = make_contact("kg-osh", phone="+996700100302", language="ru")
    twilio_server.fail_recipient(gone.phone, 21610)
    twilio_server.fail_recipient(bad.phone, 21211)
    make_campaign(regions=("kg-osh",))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    twilio_dispatcher.dispatch_once()
    twilio_dispatcher.drain()

    rows = {m.contact_id: m for m in db.session.execute(select(Message)).scalars()}
    assert (rows[gone.id].status, rows[gone.id].error_code) == (MessageStatus.FAILED, "21610")
    assert (rows[bad.id].status, rows[bad.id].error_code) == (MessageStatus.FAILED, "21211")
    db.session.refresh(gone)
    db.session.refresh(bad)
    assert gone.consent == ConsentState.OPTED_OUT  # 21610: the number unsubscribed
    assert bad.consent == ConsentState.OPTED_IN


def test_a_429_is_retried_after_the_providers_retry_after(
    twilio_app, twilio_server, twilio_dispatcher, make_contact, make_campaign
):
    busy = make_contact("kg-osh", phone="+996700100300", language="ru")
    make_campaign(regions=("kg-osh",))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    twilio_server.fail_next(429, retry_after=30)
    twilio_dispatcher.dispatch_once()
    twilio_dispatcher.drain()
    message = db.session.execute(select(Message)).scalar_one()
    assert (message.contact_id, message.status, message.error_code) == (
        busy.id,
        MessageStatus.QUEUED,
        "20429",
    )
    assert message.next_attempt_at >= MORNING + timedelta(seconds=30)
    assert _drain(twilio_dispatcher) is None  # not due yet: nothing is sent again
    assert len(twilio_server.messages) == 0


@pytest.mark.parametrize("went_out", [True, False])
def test_an_ambiguous_timeout_is_checked_with_the_provider_before_any_retry(
    twilio_app, twilio_server, make_contact, make_campaign, went_out
):
    provider = TwilioProvider(
        twilio_server.account_sid, twilio_server.auth_token, twilio_server.base_url, timeout=0.5
    )
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    dispatcher = Dispatcher(sessions, provider, twilio_app.config)  # the real clock
    went = make_contact("kg-osh", phone="+996700100400", language="ru")
    now = utcnow()
    make_campaign(regions=("kg-osh",), window_start=0, window_end=1440, next_run_at=now)
    fire_due_campaigns(db.session, now)
    db.session.commit()
    twilio_server.hang_next(after_create=went_out)  # the answer never comes
    try:
        dispatcher.dispatch_once()
        dispatcher.drain()
    finally:
        dispatcher.close()
        provider.client.http_client.close()
    message = db.session.execute(select(Message).where(Message.contact_id == went.id)).scalar_one()
    created = [m for m in twilio_server.messages if m["to"] == went.phone]
    if went_out:  # the provider has it: recorded as sent, never sent again
        assert len(created) == 1
        assert (message.status, message.provider_sid) == (MessageStatus.SENT, created[0]["sid"])
    else:  # the provider has no such message: safe to send again later
        assert created == []
        assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)


@pytest.mark.parametrize("accepted", [True, False])
@pytest.mark.parametrize("status", [503, 500])
def test_a_5xx_is_checked_with_the_provider_before_any_retry(
    twilio_app, twilio_server, make_contact, make_campaign, status, accepted
):
    provider = TwilioProvider.from_config(twilio_app.config)
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    shift = {"by": timedelta(0)}  # moved past the backoff, so a retry would be due
    dispatcher = Dispatcher(
        sessions, provider, twilio_app.config, clock=lambda: utcnow() + shift["by"]
    )
    person = make_contact("kg-osh", phone="+996700100500", language="ru")
    now = utcnow()
    make_campaign(regions=("kg-osh",), window_start=0, window_end=1440, next_run_at=now)
    fire_due_campaigns(db.session, now)
    db.session.commit()
    twilio_server.fail_next(status, after_create=accepted)
    try:
        _drain(dispatcher)
        shift["by"] = timedelta(minutes=1)
        _drain(dispatcher)
    finally:
        dispatcher.close()
        provider.client.http_client.close()

    creates = [r for r in twilio_server.requests if r.is_create and r.form["To"] == person.phone]
    asked = [
        r for r in twilio_server.requests if r.method == "GET" and r.path.endswith("/Messages.json")
    ]
    [sent] = [m for m in twilio_server.messages if m["to"] == person.phone]  # exactly one
    message = db.session.execute(select(Message)).scalar_one()
    assert (message.status, message.provider_sid) == (MessageStatus.SENT, sent["sid"])
    assert [r.status for r in creates] == ([status] if accepted else [status, 201])
    assert len(asked) == 1  # the provider was asked before the message was sent again
    assert message.attempts == (1 if accepted else 2)


@pytest.mark.parametrize(
    ("status", "maybe_sent"), [(500, True), (502, True), (503, True), (504, True), (429, False)]
)
def test_a_5xx_answer_may_have_sent_the_message(twilio_app, twilio_server, status, maybe_sent):
    provider = TwilioProvider.from_config(twilio_app.config)
    twilio_server.fail_next(status)
    sms = OutboundSms(
        to="+996700100600",
        body="Hello",
        sender=SENDER,
        messaging_service_sid=None,
        status_callback=None,
    )
    try:
        with pytest.raises(ProviderError) as error:
            provider.send_sms(sms)
    finally:
        provider.client.http_client.close()
    assert (error.value.status, error.value.transient) == (status, True)
    assert error.value.maybe_sent is maybe_sent
