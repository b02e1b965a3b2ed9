"""However a person asks, and however often: one open request, a source per ask, one SMS."""

from __future__ import annotations

from callback_support import MONDAY_10
from sqlalchemy import func, select
from support import MORNING, run_until_idle

from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.contacts.consent import apply_consent
from outreach.extensions import db
from outreach.models import (
    CallbackRequest,
    CallbackRequestSource,
    ConsentAction,
    ConsentChannel,
    Direction,
    Message,
)

SMS = "/webhooks/twilio/sms"
OUR_NUMBER = "+15005550006"


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _outbound_to(person) -> list[Message]:
    stmt = select(Message).where(
        Message.contact_id == person.id, Message.direction == Direction.OUTBOUND
    )
    return list(db.session.execute(stmt.order_by(Message.id)).scalars())


def test_three_call_me_replies_make_one_request_three_sources_one_acknowledgement(
    app, osh_person, make_campaign, dispatcher, signed_post
):
    person = osh_person(language="ky")
    campaign = make_campaign(regions=("kg-osh",))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    run_until_idle(dispatcher)
    replies = []
    for n in range(3):
        form = {"MessageSid": f"SM{n:032d}", "From": person.phone, "To": OUR_NUMBER, "Body": "2"}
        response = signed_post(SMS, form)
        assert response.status_code == 200
        replies.append(response.get_data(as_text=True))
    assert "Рахмат" in replies[0]  # the option's reply is the acknowledgement
    assert ["<Message>" in reply for reply in replies] == [True, False, False]
    [request] = db.session.execute(select(CallbackRequest)).scalars()
    sources = db.session.execute(
        select(CallbackRequestSource.channel, CallbackRequestSource.campaign_id).where(
            CallbackRequestSource.request_id == request.id
        )
    ).all()
    assert sources == [("sms", campaign.id)] * 3
    # Outbound: the campaign's text and one acknowledgement, nothing queued besides.
    assert [m.body is not None and "Рахмат" in m.body for m in _outbound_to(person)[1:]] == [True]
    assert len(_outbound_to(person)) == 2


def test_a_key_press_request_is_acknowledged_once_by_an_sms_in_the_persons_language(
    ask, osh_person
):
    person = osh_person(language="uz")
    first = ask(person, "ivr")
    again = ask(person, "hotline")
    missed = ask(person, "missed_call")
    assert first.id == again.id == missed.id
    assert _count(CallbackRequestSource, CallbackRequestSource.request_id == first.id) == 3
    [sms] = _outbound_to(person)
    assert (sms.status, sms.language, sms.to_phone) == ("queued", "uz", person.phone)
    assert "Maslahatchi tez orada" in sms.body and "MRC Osh" in sms.body


def test_a_person_who_may_not_be_texted_gets_no_acknowledgement(ask, osh_person):
    person = osh_person()
    apply_consent(
        db.session, person, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP", at=MONDAY_10
    )
    db.session.commit()
    request = ask(person, "ivr")
    assert request.status == "open"  # they asked to be called: the call still happens
    assert _outbound_to(person) == []


def test_after_a_request_is_closed_a_new_ask_opens_a_new_one_acknowledged_again(ask, osh_person):
    person = osh_person()
    first = ask(person, "ivr")
    first.status = "done"
    db.session.commit()
    second = ask(person, "ivr")
    assert second.id != first.id
    assert len(_outbound_to(person)) == 2


def test_a_campaign_counts_every_person_who_asked_during_it(
    app, osh_person, make_campaign, dispatcher, signed_post, ask
):
    person = osh_person(language="ru")
    ask(person, "ivr")  # an open request from before the campaign
    campaign = make_campaign(regions=("kg-osh",))
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    run_until_idle(dispatcher)
    form = {"MessageSid": "SM" + "7" * 32, "From": person.phone, "To": OUR_NUMBER, "Body": "2"}
    assert signed_post(SMS, form).status_code == 200
    from outreach.campaigns.stats import campaign_stats

    assert campaign_stats(db.session, campaign)["callbacks"] == 1
