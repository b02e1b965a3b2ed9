"""Test sends from a campaign's page: only to a mobile the user may reach, and 20 an hour each."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from staff_phones import register_test_phone

from outreach.contacts.consent import apply_consent
from outreach.extensions import db
from outreach.models import (
    AuditEvent,
    ConsentAction,
    ConsentChannel,
    Direction,
    Message,
    utcnow,
)

NOT_MOBILE = {
    "+9290012345": "a premium-rate number",  # Pakistan, 0900
    "+19002345678": "a premium-rate number",  # USA, 1-900
    "+9280012345": "a toll-free number",
    "+922123456789": "a landline",  # Karachi
    "+445612345678": "an internet (VoIP) number",
}


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def coordinator(make_user, login):
    user = make_user("coordinator", ["pk-isb"])
    login(user)
    return user


@pytest.fixture
def campaign(make_campaign):
    return make_campaign(regions=("pk-isb",), status="draft")


def _send(client, campaign, phone: str):
    return client.post(f"/campaigns/{campaign.id}/test", data={"phone": phone, "language": "en"})


def _queued() -> int:
    stmt = select(func.count()).select_from(Message).where(Message.direction == Direction.OUTBOUND)
    return db.session.execute(stmt).scalar_one()


def test_a_test_send_to_an_opted_out_contact_is_refused(
    client, coordinator, campaign, make_contact
):
    person = make_contact("pk-isb", language="en")
    apply_consent(db.session, person, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    db.session.commit()
    response = _send(client, campaign, person.phone)
    assert response.status_code == 422
    assert "a contact who opted out" in _text(response)
    assert _queued() == 0


@pytest.mark.parametrize("number", sorted(NOT_MOBILE))
def test_a_test_send_to_a_premium_rate_or_other_non_mobile_number_is_refused(
    client, coordinator, campaign, number
):
    response = _send(client, campaign, number)
    assert response.status_code == 422
    assert f"{NOT_MOBILE[number]} cannot receive text messages" in _text(response)
    assert _queued() == 0


@pytest.mark.parametrize("provider", ["simulator", "twilio"])
def test_a_test_send_to_another_regions_contact_is_refused_without_naming_it(
    app, client, coordinator, campaign, make_contact, provider
):
    app.config["OUTREACH_PROVIDER"] = provider
    theirs = make_contact("kg-osh", phone="+996555123499", language="ru")
    response = _send(client, campaign, theirs.phone)
    assert response.status_code == 422
    page = _text(response)
    assert "cannot receive test messages" in page or "registered test phones" in page
    assert "kg-osh" not in page and "Osh" not in page
    assert _queued() == 0


def test_with_real_phones_test_sends_go_only_to_the_users_test_phones(
    app, client, coordinator, campaign, make_contact
):
    app.config["OUTREACH_PROVIDER"] = "twilio"
    mine = make_contact("pk-isb", language="en")
    regions_phone = register_test_phone("+923001110001", "pk-isb").phone
    own_phone = register_test_phone("+923001110002", owner=coordinator).phone
    others_phone = register_test_phone("+996700110003", "kg-osh").phone
    for refused in (mine.phone, "+923001110009", others_phone):
        response = _send(client, campaign, refused)
        assert response.status_code == 422, refused
        assert "only to the registered test phones" in _text(response)
    assert _queued() == 0
    for allowed in (regions_phone, own_phone):
        assert _send(client, campaign, allowed).status_code == 302
    sent = db.session.execute(select(Message).order_by(Message.id)).scalars().all()
    assert [(m.to_phone, m.sent_by_id) for m in sent] == [
        (regions_phone, coordinator.id),
        (own_phone, coordinator.id),
    ]
    audits = db.session.execute(
        select(AuditEvent.object_id).where(
            AuditEvent.action == "campaign.test_send", AuditEvent.user_id == coordinator.id
        )
    ).scalars()
    assert list(audits) == [campaign.id, campaign.id]


def test_test_sends_are_limited_to_20_an_hour_per_user_counted_in_the_database(
    client, coordinator, campaign, make_user, login
):
    now = utcnow()
    # 20 written by another process (only the rows tell), 19 of them within the hour.
    db.session.add_all(
        Message(
            direction=Direction.OUTBOUND,
            to_phone="+923001234567",
            body="[TEST] earlier",
            status="delivered",
            sent_by_id=coordinator.id,
            created_at=now - timedelta(minutes=50 if n else 61),
            updated_at=now,
        )
        for n in range(20)
    )
    db.session.commit()
    assert _send(client, campaign, "+923001234567").status_code == 302  # the 20th this hour
    refused = _send(client, campaign, "+923001234567")
    assert refused.status_code == 429
    assert "at most 20 test messages an hour" in _text(refused)
    assert _queued() == 21

    db.session.execute(
        update(Message).values(created_at=now - timedelta(minutes=61))
    )  # an hour has gone by
    db.session.commit()
    assert _send(client, campaign, "+923001234567").status_code == 302

    other = make_user("coordinator", ["pk-isb"])  # the limit is each person's own
    login(other)
    assert _send(client, campaign, "+923001234567").status_code == 302
