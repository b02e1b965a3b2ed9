"""The phone simulator's calls on the page: a call rings, staff answer it, see and hear each
prompt, press keys and hang up; another region's staff get 404, counsellors 403."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from voice_dialing import ring_through_the_simulator

from outreach.extensions import db
from outreach.messaging.provider import webhook_auth_token
from outreach.models import (
    AuditEvent,
    Call,
    CallbackRequest,
    CallStatus,
    ConsentEvent,
    ConsentState,
    Contact,
    Response,
)


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _said(page: str) -> list[str]:
    found = re.search(r'<ol class="said" id="said">(.*?)</ol>', page, re.S)
    items = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S) if found else []
    firsts = [re.search(r'<span class="said-text">(.*?)</span>', item, re.S) for item in items]
    return [found.group(1).strip() if found else "" for found in firsts]


@pytest.fixture
def ringing(app, region, voice_menus, hotline_region, make_contact):
    """A voice campaign's call to an Osh contact, placed with the simulator and ringing."""
    hotline_region("kg-osh", "menu", "+996312000000")
    person = make_contact("kg-osh", phone="+996555123456", language="ky", name="Айгуль")
    ring_through_the_simulator(app, region, "web-simulated", name="Safe migration by phone")
    call = db.session.execute(select(Call)).scalar_one()
    assert call.status == CallStatus.RINGING
    return person, call


@pytest.fixture
def coordinator(make_user, login):
    user = make_user("coordinator", ["kg-osh"])
    login(user)
    return user


def _follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return _text(client.get(response.headers["Location"]))


def test_a_call_rings_is_answered_and_a_key_press_asks_for_a_call_back(
    client, ringing, coordinator
):
    person, call = ringing
    page = _text(client.get("/simulator", query_string={"contact": person.id}))
    assert "Incoming call" in page and "Safe migration by phone" in page
    page = _follow(client, client.post(f"/simulator/calls/{call.id}/answer"))
    assert _said(page) == ["[ky] intro MRC Osh"]
    assert 'id="keypad"' in page and "Incoming call" not in page
    db.session.expire_all()
    assert db.session.get(Call, call.id).status == CallStatus.IN_PROGRESS

    page = _follow(client, client.post("/simulator/call/press", data={"key": "9"}))
    assert _said(page)[0] == "[ky] callback requested MRC Osh"
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.contact_id, request.channel) == (person.id, "ivr")
    press = db.session.execute(select(Response)).scalar_one()
    assert (press.call_id, press.menu_node, press.text) == (call.id, "start", "9")
    audit = db.session.execute(select(AuditEvent).where(AuditEvent.action == "ivr.key_press"))
    [pressed] = audit.scalars()
    assert (pressed.user_id, pressed.object_id) == (coordinator.id, person.id)
    assert pressed.details["response_id"] == press.id and pressed.details["key"] == "9"

    page = _follow(client, client.post("/simulator/call/hang-up"))
    assert "The call is over: completed" in page
    assert 'id="keypad"' not in page
    db.session.expire_all()
    assert db.session.get(Call, call.id).status == CallStatus.COMPLETED
    page = _follow(client, client.post("/simulator/call/hang-up"))  # put the phone away
    assert 'id="call"' not in page


def test_zero_then_one_opts_out_in_the_staff_members_name(client, ringing, coordinator):
    person, call = ringing
    client.post(f"/simulator/calls/{call.id}/answer")
    client.post("/simulator/call/press", data={"key": "0"})
    page = _follow(client, client.post("/simulator/call/press", data={"key": "1"}))
    assert _said(page) == ["[ky] opted out MRC Osh"]
    assert "The call is over: completed" in page
    db.session.expire_all()
    assert db.session.get(Contact, person.id).consent == ConsentState.OPTED_OUT
    event = db.session.execute(select(ConsentEvent).order_by(ConsentEvent.id.desc())).scalars()
    latest = next(event)
    assert (latest.channel, latest.user_id) == ("ivr", coordinator.id)
    audit = db.session.execute(select(AuditEvent).where(AuditEvent.user_id == coordinator.id))
    assert any(a.action == "consent.opt_out" for a in audit.scalars())


def test_letting_it_ring_out_is_no_answer(client, ringing, coordinator):
    person, call = ringing
    page = _follow(client, client.post(f"/simulator/calls/{call.id}/ring-out"))
    assert "Incoming call" not in page
    db.session.expire_all()
    assert db.session.get(Call, call.id).status == CallStatus.RETRY_PENDING
    again = client.post(f"/simulator/calls/{call.id}/answer")
    assert "not ringing any more" in _follow(client, again)


def test_a_bad_key_is_refused_and_nothing_is_posted(client, ringing, coordinator):
    _, call = ringing
    client.post(f"/simulator/calls/{call.id}/answer")
    for key in ("12", "x", "ⅸ", "9#"):
        page = _follow(client, client.post("/simulator/call/press", data={"key": key}))
        assert "Press one key of the keypad." in page
    assert db.session.execute(select(Response)).first() is None


def test_another_regions_coordinator_gets_404(client, ringing, make_user, login):
    _, call = ringing
    login(make_user("coordinator", ["pk-isb"]))
    assert client.post(f"/simulator/calls/{call.id}/answer").status_code == 404
    assert client.post(f"/simulator/calls/{call.id}/ring-out").status_code == 404
    assert client.post(f"/simulator/calls/{10**20}/answer").status_code == 404
    assert client.post("/simulator/call/press", data={"key": "9"}).status_code == 404
    dial = {"region": "kg-osh", "new_caller": "1"}
    assert client.post("/simulator/call/dial", data=dial).status_code == 404
    db.session.expire_all()
    assert db.session.get(Call, call.id).status == CallStatus.RINGING


def test_counsellors_get_403(client, ringing, make_user, login):
    _, call = ringing
    login(make_user("counsellor", ["kg-osh"]))
    assert client.post(f"/simulator/calls/{call.id}/answer").status_code == 403
    assert client.post("/simulator/call/press", data={"key": "9"}).status_code == 403
    assert client.post("/simulator/call/hang-up").status_code == 403
    assert client.post("/simulator/call/dial", data={"region": "kg-osh"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Call, call.id).status == CallStatus.RINGING


def test_a_new_caller_rings_the_hotline_and_hears_the_language_choice(
    client, coordinator, voice_menus, hotline_region
):
    hotline_region("kg-osh", "menu", "+996312000000")
    page = _text(client.get("/simulator"))
    assert "Ring an MRC as a caller it does not know" in page
    page = _follow(
        client, client.post("/simulator/call/dial", data={"region": "kg-osh", "new_caller": "1"})
    )
    assert _said(page) == ["[ky] for ky press 7", "[ru] for ru press 6", "[uz] for uz press 8"]
    page = _follow(client, client.post("/simulator/call/press", data={"key": "6"}))
    assert _said(page)[0] == "[ru] hotline welcome MRC Osh"
    contact = db.session.execute(select(Contact)).scalar_one()
    assert contact.phone.startswith("+447700900") and contact.consent == ConsentState.NONE


def test_a_known_contact_rings_a_missed_call_line_and_sees_the_reject(
    client, coordinator, voice_menus, hotline_region, make_contact
):
    hotline_region("kg-osh", "missed_call", "+996312000000")
    person = make_contact("kg-osh", language="ru")
    data = {"region": "kg-osh", "contact": person.id}
    page = _follow(client, client.post("/simulator/call/dial", data=data))
    assert "Refused as busy" in page and "<Reject>" in page
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.contact_id, request.channel) == (person.id, "missed_call")


def test_with_real_phones_only_test_phones_call_and_nothing_rings(
    app, client, ringing, coordinator
):
    person, call = ringing
    app.config["OUTREACH_PROVIDER"] = "twilio"
    try:
        page = _text(client.get("/simulator", query_string={"contact": person.id}))
        assert "Incoming call" not in page
        assert client.post(f"/simulator/calls/{call.id}/answer").status_code == 403
        data = {"region": "kg-osh", "contact": person.id}
        assert client.post("/simulator/call/dial", data=data).status_code == 403
        data = {"region": "kg-osh", "new_caller": "1"}
        assert client.post("/simulator/call/dial", data=data).status_code == 403
    finally:
        app.config["OUTREACH_PROVIDER"] = "simulator"


def test_a_real_webhook_cannot_claim_a_staff_member(app, client, ringing, coordinator):
    _, call = ringing
    form = {"CallSid": call.provider_sid, "CallStatus": "in-progress", "Digits": "9"}
    path = f"/webhooks/twilio/voice/call/{call.id}/start?tries=0"
    url = app.config["PUBLIC_BASE_URL"] + path
    signature = RequestValidator(webhook_auth_token(app.config)).compute_signature(url, form)
    headers = {
        "X-Twilio-Signature": signature,
        "outreach.simulator.staff_user_id": str(coordinator.id),
        "X-Outreach-Simulator-Staff-User-Id": str(coordinator.id),
    }
    response = client.post(path, data=form, headers=headers)
    assert response.status_code == 200
    assert db.session.execute(select(Response)).scalar_one().text == "9"
    audit = db.session.execute(select(AuditEvent).where(AuditEvent.action == "ivr.key_press"))
    assert audit.first() is None


def test_ringing_an_mrc_during_a_call_ends_that_call_first(client, ringing, coordinator):
    person, call = ringing
    client.post(f"/simulator/calls/{call.id}/answer")
    data = {"region": "kg-osh", "contact": person.id}
    page = _follow(client, client.post("/simulator/call/dial", data=data))
    assert "Call to +996312000000" in page
    db.session.expire_all()
    assert db.session.get(Call, call.id).status == CallStatus.COMPLETED
    inbound = db.session.execute(select(Call).where(Call.direction == "inbound")).scalar_one()
    assert (inbound.status, inbound.contact_id) == (CallStatus.IN_PROGRESS, person.id)


def test_bad_dial_input_is_a_clear_4xx(client, coordinator, hotline_region, make_contact):
    hotline_region("kg-osh", "menu", "+996312000000")
    theirs = make_contact("pk-isb", language="ur")
    cases = [
        ({"region": "nowhere", "new_caller": "1"}, 404),
        ({"region": "x" * 10_000, "new_caller": "1"}, 404),
        ({"region": "kg-osh", "contact": "not-a-number"}, 400),
        ({"region": "kg-osh", "contact": str(10**20)}, 400),
        ({"region": "kg-osh", "contact": theirs.id}, 404),
        ({"region": "kg-osh", "phone": theirs.phone}, 404),
        ({"region": "kg-osh"}, 404),
    ]
    for data, status in cases:
        assert client.post("/simulator/call/dial", data=data).status_code == status, data
    assert db.session.execute(select(Call)).first() is None
