"""The phone simulator: a reply typed on the page goes through the signed inbound SMS webhook."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from support import MORNING, run_until_idle

from outreach.campaigns.content import load_common
from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.messaging import simulator
from outreach.models import (
    CallbackRequest,
    ConsentEvent,
    ConsentState,
    Contact,
    Direction,
    Message,
    Response,
    ResponseKind,
)


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
