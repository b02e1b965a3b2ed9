"""`request_callback`: one open request per person, however the requests arrive."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from support import MORNING

from outreach.callbacks.service import CallbackSource, request_callback
from outreach.extensions import db
from outreach.models import CallbackRequest, CallbackRequestSource, CallbackStatus, Contact


def _open_requests(session, contact_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(CallbackRequest)
        .where(CallbackRequest.contact_id == contact_id, CallbackRequest.status == "open")
    ).scalar_one()


def test_a_request_is_queued_for_the_contacts_mrc_once_until_it_is_done(app, make_contact):
    person = make_contact("kg-osh")
    first = request_callback(db.session, person, CallbackSource("sms"), MORNING).request
    assert (first.contact_id, first.region_id, first.status, first.channel, first.created_at) == (
        person.id,
        person.region_id,
        CallbackStatus.OPEN,
        "sms",
        MORNING,
    )
    assert not request_callback(db.session, person, CallbackSource("sms"), MORNING).created
    first.status = CallbackStatus.CLAIMED
    db.session.flush()
    second = request_callback(db.session, person, CallbackSource("ivr"), MORNING)
    assert (second.created, second.request.id) == (False, first.id)
    first.status = CallbackStatus.DONE
    db.session.flush()
    again = request_callback(db.session, person, CallbackSource("sms"), MORNING)
    assert again.created and again.request.id != first.id
    other = make_contact("kg-osh")
    assert request_callback(db.session, other, CallbackSource("sms"), MORNING).created
    db.session.commit()
    assert db.session.execute(select(func.count()).select_from(CallbackRequest)).scalar_one() == 3


def test_two_requests_at_once_queue_one_callback(app, make_contact):
    person_id = make_contact("kg-osh").id
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    outcome: dict[str, object] = {}

    def second_request() -> None:
        with sessions() as session:
            contact = session.get(Contact, person_id)
            outcome["second"] = request_callback(session, contact, CallbackSource("sms"), MORNING)
            session.commit()

    with sessions() as first:
        made = request_callback(
            first, first.get(Contact, person_id), CallbackSource("sms"), MORNING
        )
        assert made.created
        racer = threading.Thread(target=second_request)
        racer.start()
        racer.join(0.5)  # it waits for the first request's transaction
        first.commit()
    racer.join(10)
    assert not racer.is_alive()
    assert not outcome["second"].created
    with sessions() as session:
        assert _open_requests(session, person_id) == 1
        sources = session.execute(select(func.count()).select_from(CallbackRequestSource))
        assert sources.scalar_one() == 2  # one request, both asks kept as its sources
