"""`receive_sms` itself: keywords, options, call-backs, unknown senders, repeated webhooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import MORNING

from outreach.content import get_topic, load_common, render_text
from outreach.extensions import db
from outreach.messaging.inbound import InboundSms, receive_sms
from outreach.models import (
    CallbackRequest,
    CallbackStatus,
    ConsentEvent,
    ConsentState,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Response,
    ResponseKind,
)

DUSHANBE_NUMBER = "+992372210000"
STRANGER = "+992900123456"
_sids = iter(range(1, 10_000))


def _sms(sender: str, body: str, to: str = DUSHANBE_NUMBER, sid: str | None = None):
    return InboundSms(sid=sid or f"SM{next(_sids):032d}", sender=sender, to=to, body=body)


def _receive(sms: InboundSms, at=MORNING) -> str | None:
    reply = receive_sms(db.session, sms, at)
    db.session.commit()
    return reply


def _mrc(region) -> dict[str, str]:
    return {"name": "", "mrc_name": region.name, "mrc_phone": region.phone or ""}


@pytest.fixture
def dushanbe(region):
    """MRC Dushanbe (Tajik first, then Russian) answering on its own sender number."""
    dyu = region("tj-dyu")
    dyu.sender_number = DUSHANBE_NUMBER
    dyu.phone = "+992 37 555 0105"
    db.session.commit()
    return dyu


def _reached(make_contact, make_campaign, **contact) -> tuple[Contact, object]:
    """A Dushanbe contact who received the latest message of an irregular-migration campaign."""
    person = make_contact("tj-dyu", **contact)
    campaign = make_campaign(regions=("tj-dyu",))
    db.session.add(
        Message(
            direction=Direction.OUTBOUND,
            campaign_id=campaign.id,
            contact_id=person.id,
            region_id=person.region_id,
            to_phone=person.phone,
            body="…",
            status=MessageStatus.DELIVERED,
            sent_at=MORNING - timedelta(hours=1),
        )
    )
    db.session.commit()
    return person, campaign


def test_stop_from_an_unknown_number_answers_in_the_regions_language(app, dushanbe):
    assert dushanbe.default_language == "tg"
    reply = _receive(_sms(STRANGER, "СТОП"))
    expected = render_text(load_common().opted_out["tg"], _mrc(dushanbe))
    assert reply == expected
    stranger = db.session.execute(select(Contact)).scalar_one()
    assert (stranger.phone, stranger.language, stranger.consent, stranger.region_id) == (
        STRANGER,
        "tg",
        ConsentState.OPTED_OUT,
        dushanbe.id,
    )
    [event] = db.session.execute(select(ConsentEvent)).scalars().all()
    assert (event.contact_id, event.action, event.channel) == (stranger.id, "opt_out", "sms")
    assert event.source.startswith("СТОП")
    assert stranger.consent_changed_at == event.at == MORNING


def test_help_from_an_unknown_number_answers_in_the_regions_language_and_keeps_no_contact(
    app, dushanbe
):
    reply = _receive(_sms(STRANGER, "help"))
    assert reply == render_text(load_common().help["tg"], _mrc(dushanbe))
    assert db.session.execute(select(func.count()).select_from(Contact)).scalar_one() == 0


def test_an_unknown_sender_is_recorded_and_kept_for_the_coordinator(app, dushanbe):
    assert _receive(_sms(STRANGER, "Is the job in Moscow real?")) is None
    inbound = db.session.execute(select(Message)).scalar_one()
    assert (inbound.direction, inbound.contact_id, inbound.region_id, inbound.status) == (
        Direction.INBOUND,
        None,
        dushanbe.id,
        MessageStatus.RECEIVED,
    )
    response = db.session.execute(select(Response)).scalar_one()
    assert (response.kind, response.contact_id, response.text) == (
        ResponseKind.UNRECOGNISED,
        None,
        "Is the job in Moscow real?",
    )
    assert db.session.execute(select(func.count()).select_from(Contact)).scalar_one() == 0


def test_keywords_of_a_contact_opt_out_opt_in_and_help_in_its_language(app, dushanbe, make_contact):
    person = make_contact("tj-dyu", language="ru", name="Фарход")
    common = load_common()
    assert _receive(_sms(person.phone, "стоп!")) == render_text(
        common.opted_out["ru"], _mrc(dushanbe)
    )
    assert db.session.get(Contact, person.id).consent == ConsentState.OPTED_OUT
    assert "Фарход" in _receive(_sms(person.phone, "СТАРТ"))
    assert db.session.get(Contact, person.id).consent == ConsentState.OPTED_IN
    assert _receive(_sms(person.phone, "ПОМОЩЬ")) == render_text(common.help["ru"], _mrc(dushanbe))
    kinds = db.session.execute(select(Response.kind).order_by(Response.id)).scalars().all()
    assert kinds == [ResponseKind.OPT_OUT, ResponseKind.OPT_IN]
    events = db.session.execute(select(ConsentEvent.action).order_by(ConsentEvent.id))
    assert events.scalars().all() == ["opt_in", "opt_out", "opt_in"]  # the fixture's, then two


def test_an_option_answers_the_latest_campaign_in_the_contacts_language(
    app, dushanbe, make_contact, make_campaign
):
    person, campaign = _reached(make_contact, make_campaign, language="tg", name="Нигина")
    reply = _receive(_sms(person.phone, "маълумот"))
    option = get_topic("irregular-migration").options[0]
    assert reply == render_text(option.replies["tg"], {**_mrc(dushanbe), "name": "Нигина"})
    response = db.session.execute(select(Response)).scalar_one()
    assert (response.kind, response.option, response.campaign_id, response.contact_id) == (
        ResponseKind.ANSWER,
        "1",
        campaign.id,
        person.id,
    )
    answer = db.session.execute(
        select(Message).where(Message.direction == Direction.OUTBOUND, Message.body == reply)
    ).scalar_one()
    assert (answer.contact_id, answer.language, answer.from_phone) == (
        person.id,
        "tg",
        DUSHANBE_NUMBER,
    )


def test_a_callback_option_opens_one_request_per_person(app, dushanbe, make_contact, make_campaign):
    person, campaign = _reached(make_contact, make_campaign, language="ru")
    assert "перезвонит" in _receive(_sms(person.phone, "2"))
    # Asking twice: one request, acknowledged once (the second ask is kept as a source).
    assert _receive(_sms(person.phone, "ПОЗВОНИТЕ")) is None
    requests = db.session.execute(select(CallbackRequest)).scalars().all()
    assert [(r.contact_id, r.region_id, r.campaign_id, r.status, r.channel) for r in requests] == [
        (person.id, dushanbe.id, campaign.id, CallbackStatus.OPEN, "sms")
    ]
    first_response = db.session.execute(select(Response.id).order_by(Response.id)).scalars().first()
    assert requests[0].response_id == first_response
    requests[0].status = CallbackStatus.DONE
    db.session.commit()
    _receive(_sms(person.phone, "2"))  # once the call is done, asking again is a new request
    statuses = db.session.execute(select(CallbackRequest.status).order_by(CallbackRequest.id))
    assert statuses.scalars().all() == [CallbackStatus.DONE, CallbackStatus.OPEN]


def test_an_opted_out_persons_callback_is_kept_without_a_reply(
    app, dushanbe, make_contact, make_campaign
):
    person, _ = _reached(make_contact, make_campaign, language="tg")
    _receive(_sms(person.phone, "СТОП"))
    assert _receive(_sms(person.phone, "2")) is None
    assert db.session.execute(select(func.count()).select_from(CallbackRequest)).scalar_one() == 1


def test_a_repeated_sid_is_recorded_and_acted_on_once(app, dushanbe, make_contact, make_campaign):
    person, _ = _reached(make_contact, make_campaign, language="tg")
    sms = _sms(person.phone, "2")
    assert _receive(sms) is not None
    assert _receive(sms) is None
    inbound = select(func.count()).select_from(Message).where(Message.direction == "inbound")
    assert db.session.execute(inbound).scalar_one() == 1
    assert db.session.execute(select(func.count()).select_from(Response)).scalar_one() == 1
    assert db.session.execute(select(func.count()).select_from(CallbackRequest)).scalar_one() == 1
