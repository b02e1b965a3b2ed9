"""The phone simulator: a reply typed on the page goes through the signed inbound SMS webhook."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select
from staff_phones import register_test_phone
from support import MORNING, run_until_idle
from twilio.request_validator import RequestValidator

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.content import load_common
from outreach.extensions import db
from outreach.messaging import simulator
from outreach.messaging.provider import webhook_auth_token
from outreach.models import (
    AuditEvent,
    CallbackRequest,
    ConsentEvent,
    ConsentState,
    Contact,
    Direction,
    Message,
    Response,
    ResponseKind,
    utcnow,
)
from outreach.web.webhooks import SIMULATOR_STAFF_KEY


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _bubbles(page: str) -> list[tuple[str, str]]:
    """The chat's messages in order: ("received" | "sent", text)."""
    found = re.findall(r'data-direction="(received|sent)"[^>]*>(.*?)<small', page, re.S)
    return [(direction, text.strip()) for direction, text in found]


@pytest.fixture
def coordinator(make_user, login):
    user = make_user("coordinator", ["kg-osh"])
    login(user)
    return user


def _reply(client, contact: Contact, body: str):
    response = client.post("/simulator/reply", data={"contact": contact.id, "body": body})
    assert response.status_code == 302
    return _text(client.get(response.headers["Location"]))


def test_search_finds_contacts_of_the_users_regions_only(client, coordinator, make_contact):
    mine = make_contact("kg-osh", phone="+996555123456", name="Айгуль", language="ky")
    make_contact("pk-isb", phone="+923001112233", name="Айгуль Isb")
    page = _text(client.get("/simulator", query_string={"q": "Айгуль"}))
    assert f"/simulator?contact={mine.id}" in page
    assert "+923001112233" not in page


def test_typing_stop_opts_out_through_the_webhook_and_answers_in_their_language(
    client, coordinator, make_contact
):
    person = make_contact("kg-osh", language="ru", name="Олег")
    page = _reply(client, person, " stop ")
    db.session.expire_all()
    assert db.session.get(Contact, person.id).consent == ConsentState.OPTED_OUT
    event = db.session.execute(select(ConsentEvent).order_by(ConsentEvent.id.desc())).scalars()
    assert next(event).channel == "sms"
    inbound = db.session.execute(
        select(Message).where(Message.direction == Direction.INBOUND)
    ).scalar_one()
    assert inbound.provider_sid.startswith("SM") and len(inbound.provider_sid) == 34
    assert inbound.from_phone == person.phone
    confirmation = load_common().opted_out["ru"].split("{mrc_name}")[0]  # "Вы отписаны от …"
    bubbles = _bubbles(page)
    assert bubbles[-2] == ("sent", "stop")
    assert bubbles[-1][0] == "received" and bubbles[-1][1].startswith(confirmation)
    assert "opted out" in page


def test_typing_2_after_a_delivered_campaign_queues_a_callback(
    client, coordinator, make_contact, make_campaign, dispatcher
):
    person = make_contact("kg-osh", language="ky")
    campaign = make_campaign(regions=("kg-osh",))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    run_until_idle(dispatcher)
    before = _bubbles(_text(client.get("/simulator", query_string={"contact": person.id})))
    assert [d for d, _ in before] == ["received"]  # the campaign's text reached the phone
    page = _reply(client, person, "2")
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.contact_id, request.campaign_id, request.region_id) == (
        person.id,
        campaign.id,
        person.region_id,
    )
    response = db.session.execute(select(Response)).scalar_one()
    assert (response.kind, response.option) == (ResponseKind.CALLBACK, "2")
    # The campaign went out at the dispatcher's fixed MORNING, so order by content, not time.
    assert ("sent", "2") in _bubbles(page)
    assert any(d == "received" and "Рахмат" in text for d, text in _bubbles(page))


def test_a_test_send_shows_on_the_test_phone(client, coordinator, make_campaign):
    campaign = make_campaign(regions=("kg-osh",))
    sent = client.post(
        f"/campaigns/{campaign.id}/test", data={"phone": "+996700111222", "language": "ru"}
    )
    assert sent.status_code == 302
    page = _text(client.get("/simulator", query_string={"phone": "+996700111222"}))
    assert "a test phone, not a contact" in page
    [(direction, body)] = _bubbles(page)
    assert direction == "received" and body.startswith("[TEST] ")
    assert "not received yet: queued" in page


def test_a_wrong_signature_is_refused_by_the_webhook(
    client, coordinator, make_contact, monkeypatch
):
    person = make_contact("kg-osh", language="ru")
    monkeypatch.setattr(simulator, "webhook_auth_token", lambda config: "not-the-token")
    response = client.post("/simulator/reply", data={"contact": person.id, "body": "STOP"})
    page = _text(client.get(response.headers["Location"]))
    assert "The webhook refused the reply (HTTP 403)" in page
    db.session.expire_all()
    assert db.session.get(Contact, person.id).consent == ConsentState.OPTED_IN


def test_another_regions_contact_is_404(client, coordinator, make_contact):
    theirs = make_contact("pk-isb", language="ur")
    assert client.get("/simulator", query_string={"contact": theirs.id}).status_code == 404
    response = client.post("/simulator/reply", data={"contact": theirs.id, "body": "STOP"})
    assert response.status_code == 404
    assert (
        client.post("/simulator/reply", data={"phone": theirs.phone, "body": "STOP"}).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(Contact, theirs.id).consent == ConsentState.OPTED_IN


def test_counsellors_do_not_use_the_simulator(client, make_user, login, make_contact):
    person = make_contact("kg-osh")
    login(make_user("counsellor", ["kg-osh"]))
    assert client.get("/simulator").status_code == 403
    assert (
        client.post("/simulator/reply", data={"contact": person.id, "body": "1"}).status_code == 403
    )


# --- who the simulator may answer as ------------------------------------------------------------


@pytest.fixture
def real_phones(app):
    """The Twilio provider is configured: the phones are real."""
    app.config["OUTREACH_PROVIDER"] = "twilio"


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _inbound_count() -> int:
    return _count(Message, Message.direction == Direction.INBOUND)


def _queue_test_message(phone: str, region_id: int) -> None:
    """What an earlier test send left: an outbound row to `phone` in one of the user's regions."""
    now = utcnow()
    db.session.add(
        Message(
            direction=Direction.OUTBOUND,
            region_id=region_id,
            to_phone=phone,
            body="[TEST] hello",
            status="delivered",
            created_at=now,
            updated_at=now,
        )
    )
    db.session.commit()


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_with_real_phones_no_one_answers_as_a_contact(
    client, make_user, login, make_contact, region, real_phones, role
):
    login(make_user(role, ["kg-osh"]))
    person = make_contact("kg-osh", language="ru")
    _queue_test_message(person.phone, region("kg-osh").id)  # even after a test send to them
    events = _count(ConsentEvent)
    for form in ({"contact": person.id}, {"phone": person.phone}):
        for body in ("STOP", "START", "2"):
            response = client.post("/simulator/reply", data={**form, "body": body})
            assert response.status_code == 403, (form, body)
    page = _text(client.get("/simulator", query_string={"contact": person.id}))
    assert 'action="/simulator/reply"' not in page
    assert "answers only as a registered test phone" in page
    db.session.expire_all()
    assert db.session.get(Contact, person.id).consent == ConsentState.OPTED_IN
    assert (_inbound_count(), _count(ConsentEvent), _count(Response)) == (0, events, 0)


def test_with_real_phones_the_simulator_answers_as_a_registered_test_phone(
    client, coordinator, make_contact, real_phones
):
    phone = register_test_phone("+996700111222", "kg-osh", label="Aibek's work phone").phone
    page = _text(client.get("/simulator"))
    assert "/simulator?phone=%2B996700111222" in page and "Aibek's work phone" in page
    assert "only as a registered" in page
    assert (
        client.post("/simulator/reply", data={"phone": "+996700999888", "body": "1"}).status_code
        == 404
    )
    response = client.post("/simulator/reply", data={"phone": phone, "body": "hello"})
    assert response.status_code == 302
    inbound = db.session.execute(
        select(Message).where(Message.direction == Direction.INBOUND)
    ).scalar_one()
    assert (inbound.from_phone, inbound.contact_id, inbound.sent_by_id) == (
        phone,
        None,
        coordinator.id,
    )


def test_a_test_phone_that_became_a_contact_is_not_answered_as_with_real_phones(
    client, coordinator, make_contact, real_phones
):
    phone = register_test_phone("+996700111223", "kg-osh").phone
    make_contact("kg-osh", phone=phone)  # the number is now someone's
    assert client.post("/simulator/reply", data={"phone": phone, "body": "STOP"}).status_code == 403
    assert _inbound_count() == 0


@pytest.mark.parametrize("provider", ["simulator", "twilio"])
def test_no_one_answers_as_another_regions_contact_even_after_a_test_send_to_them(
    app, client, coordinator, make_contact, region, provider
):
    app.config["OUTREACH_PROVIDER"] = provider
    theirs = make_contact("pk-isb", language="ur")
    # A test send from the user's region to their number, as the old simulator allowed.
    _queue_test_message(theirs.phone, region("kg-osh").id)
    for form in ({"contact": theirs.id}, {"phone": theirs.phone}):
        for body in ("STOP", "2"):
            response = client.post("/simulator/reply", data={**form, "body": body})
            assert response.status_code == 404, (form, body)
    page = _text(client.get("/simulator", query_string={"phone": theirs.phone}))
    assert 'action="/simulator/reply"' not in page
    db.session.expire_all()
    assert db.session.get(Contact, theirs.id).consent == ConsentState.OPTED_IN
    assert (_inbound_count(), _count(Response), _count(CallbackRequest)) == (0, 0, 0)


def test_a_consent_change_through_the_simulator_names_the_staff_member_and_is_audited(
    app, client, coordinator, make_contact
):
    person = make_contact("kg-osh", language="ru")
    # A real webhook cannot claim to be staff: not by a header, not by a form field.
    form = {
        "MessageSid": "SM" + "1" * 32,
        "From": person.phone,
        "To": "+15005550006",
        "Body": "STOP",
        SIMULATOR_STAFF_KEY: str(coordinator.id),
        "typed_by": str(coordinator.id),
    }
    url = app.config["PUBLIC_BASE_URL"] + "/webhooks/twilio/sms"
    signature = RequestValidator(webhook_auth_token(app.config)).compute_signature(url, form)
    headers = {"X-Twilio-Signature": signature, SIMULATOR_STAFF_KEY: str(coordinator.id)}
    assert client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code == 200
    first = (
        db.session.execute(select(ConsentEvent).order_by(ConsentEvent.id.desc())).scalars().first()
    )
    assert (first.action, first.user_id) == ("opt_out", None)
    assert _count(AuditEvent, AuditEvent.action.like("consent.%")) == 0

    page = _reply(client, person, "START")
    db.session.expire_all()
    assert db.session.get(Contact, person.id).consent == ConsentState.OPTED_IN
    event = (
        db.session.execute(select(ConsentEvent).order_by(ConsentEvent.id.desc())).scalars().first()
    )
    assert (event.action, event.channel, event.user_id) == ("opt_in", "sms", coordinator.id)
    assert "typed by staff in the phone simulator" in event.source
    [audit] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action.like("consent.%"))
    ).scalars()
    assert (audit.action, audit.user_id, audit.object_type, audit.object_id) == (
        "consent.opt_in",
        coordinator.id,
        "contact",
        person.id,
    )
    assert audit.details["via"] == "simulator" and audit.details["consent_event_id"] == event.id
    typed = (
        db.session.execute(
            select(Message)
            .where(Message.direction == Direction.INBOUND)
            .order_by(Message.id.desc())
        )
        .scalars()
        .first()
    )
    assert (typed.body, typed.sent_by_id) == ("START", coordinator.id)
    assert "opted in" in page
    history = _text(client.get(f"/contacts/{person.id}"))
    assert coordinator.email in history
