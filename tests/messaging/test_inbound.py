"""Replies by SMS: options, call-backs, opt-out keywords in any language, unknown text kept."""

from __future__ import annotations

from sqlalchemy import func, select
from support import MORNING, run_until_idle

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.extensions import db
from outreach.models import (
    CallbackRequest,
    ConsentEvent,
    ConsentState,
    Contact,
    Message,
    MessageStatus,
    Response,
    ResponseKind,
)

SMS = "/webhooks/twilio/sms"
OUR_NUMBER = "+15005550006"


def _reply(signed_post, phone: str, body: str, sid: str) -> str:
    response = signed_post(
        SMS, {"MessageSid": sid, "From": phone, "To": OUR_NUMBER, "Body": body, "NumMedia": "0"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    return response.get_data(as_text=True)


def _campaign_reached(make_contact, make_campaign, dispatcher, **contact):
    person = make_contact("kg-osh", **contact)
    campaign = make_campaign(regions=("kg-osh",))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    run_until_idle(dispatcher)
    return person, campaign


def test_option_one_sends_more_information_in_the_contacts_language(
    app, make_contact, make_campaign, dispatcher, signed_post
):
    person, campaign = _campaign_reached(make_contact, make_campaign, dispatcher, language="ru")
    twiml = _reply(signed_post, person.phone, " 1 ", "SM" + "1" * 32)
    assert "Безопасная миграция" in twiml
    response = db.session.execute(select(Response)).scalar_one()
    assert (response.kind, response.option, response.campaign_id) == (
        ResponseKind.ANSWER,
        "1",
        campaign.id,
    )


def test_option_two_queues_one_callback_for_the_contacts_mrc(
    app, make_contact, make_campaign, dispatcher, signed_post
):
    person, campaign = _campaign_reached(make_contact, make_campaign, dispatcher, language="ky")
    assert "Рахмат" in _reply(signed_post, person.phone, "2", "SM" + "2" * 32)
    _reply(signed_post, person.phone, "2", "SM" + "3" * 32)  # asking twice queues once
    request = db.session.execute(select(CallbackRequest)).scalar_one()
    assert (request.contact_id, request.region_id, request.campaign_id, request.status) == (
        person.id,
        person.region_id,
        campaign.id,
        "open",
    )


def test_stop_in_any_case_and_cyrillic_stop_opt_out_at_once(
    app, make_contact, make_campaign, dispatcher, signed_post
):
    first, _ = _campaign_reached(make_contact, make_campaign, dispatcher, language="ru")
    second = make_contact("kg-osh", language="ky")
    _reply(signed_post, first.phone, "stop", "SM" + "4" * 32)
    _reply(signed_post, second.phone, " СТОП ", "SM" + "5" * 32)
    for person, word in ((first, "stop"), (second, "СТОП")):
        db.session.refresh(person)
        assert person.consent == ConsentState.OPTED_OUT
        event = (
            db.session.execute(
                select(ConsentEvent)
                .where(ConsentEvent.contact_id == person.id)
                .order_by(ConsentEvent.id.desc())
            )
            .scalars()
            .first()
        )
        assert (event.action, event.channel, event.source) == ("opt_out", "sms", word)


def test_start_opts_back_in_and_help_answers_with_the_mrc(app, make_contact, signed_post, region):
    osh = region("kg-osh")
    osh.phone = "+996 3222 55555"
    db.session.commit()
    person = make_contact("kg-osh", language="ru")
    _reply(signed_post, person.phone, "STOP", "SM" + "6" * 32)
    _reply(signed_post, person.phone, "start", "SM" + "7" * 32)
    db.session.refresh(person)
    assert person.consent == ConsentState.OPTED_IN
    assert "+996 3222 55555" in _reply(signed_post, person.phone, "HELP", "SM" + "8" * 32)


def test_unknown_text_is_kept_for_the_coordinator(
    app, make_contact, make_campaign, dispatcher, signed_post
):
    person, campaign = _campaign_reached(make_contact, make_campaign, dispatcher, language="en")
    twiml = _reply(signed_post, person.phone, "Is the job in Dubai real?", "SM" + "9" * 32)
    assert "did not understand" in twiml
    response = db.session.execute(select(Response)).scalar_one()
    assert (response.kind, response.text, response.campaign_id) == (
        ResponseKind.UNRECOGNISED,
        "Is the job in Dubai real?",
        campaign.id,
    )


def test_a_contact_who_stops_mid_campaign_gets_nothing_more(
    app, make_contact, make_campaign, dispatcher, signed_post
):
    person, _ = _campaign_reached(make_contact, make_campaign, dispatcher, language="ru")
    _reply(signed_post, person.phone, "СТОП", "SM" + "a" * 32)
    second = make_campaign(regions=("kg-osh",), name="HIV testing", topic="irregular-migration")
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    run_until_idle(dispatcher)
    assert (
        db.session.execute(
            select(func.count()).select_from(Message).where(Message.campaign_id == second.id)
        ).scalar_one()
        == 0
    )


def test_an_unknown_number_is_recorded_and_a_stop_from_it_is_remembered(app, signed_post, region):
    osh = region("kg-osh")
    osh.sender_number = OUR_NUMBER
    db.session.commit()
    _reply(signed_post, "+996700123456", "hello", "SM" + "b" * 32)
    inbound = db.session.execute(select(Message)).scalar_one()
    assert (inbound.contact_id, inbound.status, inbound.body) == (
        None,
        MessageStatus.RECEIVED,
        "hello",
    )
    _reply(signed_post, "+996700123456", "STOP", "SM" + "c" * 32)
    stranger = db.session.execute(select(Contact)).scalar_one()
    assert (stranger.phone, stranger.consent) == ("+996700123456", ConsentState.OPTED_OUT)


def test_a_repeated_webhook_is_recorded_once(app, make_contact, signed_post):
    person = make_contact("kg-osh", language="ru")
    _reply(signed_post, person.phone, "hello", "SM" + "d" * 32)
    assert "<Message>" not in _reply(signed_post, person.phone, "hello", "SM" + "d" * 32)
    inbound = select(func.count()).select_from(Message).where(Message.direction == "inbound")
    assert db.session.execute(inbound).scalar_one() == 1


def test_unsigned_and_wrongly_signed_webhooks_get_403_and_change_nothing(
    app, make_contact, client, signed_post
):
    person = make_contact("kg-osh")
    form = {"MessageSid": "SM" + "e" * 32, "From": person.phone, "To": OUR_NUMBER, "Body": "STOP"}
    assert client.post(SMS, data=form).status_code == 403
    assert signed_post(SMS, form, token="not-the-token").status_code == 403
    status = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
    assert client.post(SMS + "/status", data=status).status_code == 403
    db.session.refresh(person)
    assert person.consent == ConsentState.OPTED_IN
    assert db.session.execute(select(func.count()).select_from(Message)).scalar_one() == 0
