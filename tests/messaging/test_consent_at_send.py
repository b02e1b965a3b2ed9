"""Consent is checked in the UPDATE that commits `sending`, not only when a message is claimed."""

from __future__ import annotations

from sqlalchemy import select
from support import MORNING, run_until_idle

from outreach.access import Scope
from outreach.campaigns.scheduling import fire_due_campaigns
from outreach.campaigns.testsend import send_test_message
from outreach.contacts.consent import apply_consent
from outreach.extensions import db
from outreach.messaging import outbox
from outreach.models import (
    Campaign,
    CampaignStatus,
    ConsentAction,
    ConsentChannel,
    Contact,
    Message,
    MessageStatus,
)

WORKER = "test-worker"


def _claimed(make_contact, make_campaign, count: int = 2):
    contacts = [make_contact("pk-isb") for _ in range(count)]
    make_campaign()
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    ids = outbox.claim_batch(db.session, WORKER, MORNING, 10)
    db.session.commit()
    rows = db.session.execute(select(Message).where(Message.id.in_(ids))).scalars()
    by_contact = {m.contact_id: m.id for m in rows}
    return contacts, [by_contact[c.id] for c in contacts]


def _opt_out(contact) -> None:
    apply_consent(db.session, contact, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    db.session.commit()


def _row(message_id: int) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


def test_mark_sending_refuses_a_message_whose_contact_opted_out_after_its_claim(
    app, make_contact, make_campaign
):
    (stays, leaves), (stays_id, leaves_id) = _claimed(make_contact, make_campaign)
    _opt_out(leaves)

    assert outbox.mark_sending(db.session, leaves_id, WORKER, "hello", MORNING) is False
    assert outbox.mark_sending(db.session, stays_id, WORKER, "hello", MORNING) is True
    assert outbox.fail_opted_out(db.session, stays_id, WORKER, MORNING) is False
    assert outbox.fail_opted_out(db.session, leaves_id, WORKER, MORNING) is True
    db.session.commit()

    refused = _row(leaves_id)
    assert (refused.status, refused.error_code, refused.claimed_by, refused.attempts) == (
        MessageStatus.FAILED,
        "opted_out",
        None,
        0,
    )
    assert _row(stays_id).status == MessageStatus.SENDING


def test_a_message_refused_for_its_campaign_is_not_failed_as_opted_out(
    app, make_contact, make_campaign
):
    _, (message_id,) = _claimed(make_contact, make_campaign, count=1)
    campaign = db.session.execute(select(Campaign)).scalar_one()
    campaign.status = CampaignStatus.PAUSED
    db.session.commit()

    assert outbox.mark_sending(db.session, message_id, WORKER, "hello", MORNING) is False
    assert outbox.fail_opted_out(db.session, message_id, WORKER, MORNING) is False
    db.session.commit()
    assert _row(message_id).status == MessageStatus.QUEUED


def test_a_test_send_to_an_opted_out_contacts_number_is_refused_at_send(
    app, make_contact, make_campaign, make_user, dispatcher
):
    """Queued while the person was opted in (the simulator may test-send to a contact of the
    coordinator's region), refused at sending once they opted out."""
    person = make_contact("pk-isb")
    campaign = make_campaign(status=CampaignStatus.DRAFT)
    scope = Scope.for_user(make_user("coordinator", ["pk-isb"]))

    def test_send(phone: str):
        return send_test_message(
            db.session, scope, campaign.id, phone, "en", MORNING, real_phones=False
        )

    staff = test_send("+923009999999")
    to_person = test_send(person.phone)
    db.session.commit()
    _opt_out(person)

    run_until_idle(dispatcher)
    refused = _row(to_person.id)
    assert (refused.status, refused.error_code, refused.provider_sid) == (
        MessageStatus.FAILED,
        "opted_out",
        None,
    )
    assert _row(staff.id).status == MessageStatus.DELIVERED


class _StopWhileWaiting:
    """A limiter whose wait for a place lasts until the recipient has opted out (as a STOP
    arriving while a message waits for its place under the rate)."""

    def __init__(self, limiter, during_wait) -> None:
        self.limiter = limiter
        self.during_wait = during_wait

    def reserve(self, key, rate, stop=None, poll=0.1) -> bool:
        self.during_wait()
        return self.limiter.reserve(key, rate, stop, poll)

    def __getattr__(self, name):
        return getattr(self.limiter, name)


def test_an_opt_out_while_a_message_waits_for_its_place_stops_it(
    app, make_contact, make_campaign, dispatcher
):
    leaves_id = make_contact("pk-isb").id
    make_campaign()
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()

    def stop_in_own_session() -> None:  # the send runs in a pool thread, outside the app context
        with dispatcher.sessions() as session:
            contact = session.get(Contact, leaves_id)
            apply_consent(session, contact, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
            session.commit()

    dispatcher.limiter = _StopWhileWaiting(dispatcher.limiter, stop_in_own_session)

    run_until_idle(dispatcher)
    message = db.session.execute(select(Message)).scalar_one()
    db.session.refresh(message)
    assert (message.status, message.error_code, message.provider_sid, message.attempts) == (
        MessageStatus.FAILED,
        "opted_out",
        None,
        0,
    )
    assert dispatcher.provider._accepted == {}
