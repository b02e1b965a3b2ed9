"""Test sends through the API: refusals with the error shape, and 429 past 20 an hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from staff_phones import register_test_phone

from outreach.contacts.consent import apply_consent
from outreach.extensions import db
from outreach.models import ConsentAction, ConsentChannel, Direction, Message, utcnow


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.fixture
def isb(api, make_user):
    return api(make_user("coordinator", ["pk-isb"]))


@pytest.fixture
def url(make_campaign) -> str:
    campaign = make_campaign(regions=("pk-isb",), status="draft")
    return f"/api/v1/campaigns/{campaign.id}/test-send"


def _queued() -> int:
    stmt = select(func.count()).select_from(Message).where(Message.direction == Direction.OUTBOUND)
    return db.session.execute(stmt).scalar_one()


def test_refused_to_an_opted_out_contact(isb, url, make_contact):
    person = make_contact("pk-isb")
    apply_consent(db.session, person, ConsentAction.OPT_OUT, ConsentChannel.API, "asked by phone")
    db.session.commit()
    error = error_of(isb.post(url, json={"phone": person.phone}), 422)
    assert (error["code"], error["details"]) == ("opted_out", {"field": "phone"})
    assert _queued() == 0


@pytest.mark.parametrize("number", ["+9290012345", "+19002345678", "+9280012345", "+922123456789"])
def test_refused_to_a_premium_rate_or_other_non_mobile_number(isb, url, number):
    error = error_of(isb.post(url, json={"phone": number}), 422)
    assert error["code"] == "not_mobile" and "cannot receive text messages" in error["message"]
    assert _queued() == 0


@pytest.mark.parametrize("provider", ["simulator", "twilio"])
def test_refused_to_another_regions_contact(app, isb, url, make_contact, provider):
    app.config["OUTREACH_PROVIDER"] = provider
    theirs = make_contact("kg-osh", phone="+996555123498")
    error = error_of(isb.post(url, json={"phone": theirs.phone}), 422)
    assert "kg-osh" not in error["message"] and "Osh" not in error["message"]
    assert _queued() == 0


def test_with_real_phones_only_to_a_registered_test_phone(app, isb, url, make_contact):
    app.config["OUTREACH_PROVIDER"] = "twilio"
    phone = register_test_phone("+923001110001", "pk-isb").phone
    for refused in (make_contact("pk-isb").phone, "+923001110009"):
        assert error_of(isb.post(url, json={"phone": refused}), 422)["code"] == "not_a_test_phone"
    sent = isb.post(url, json={"phone": phone})
    assert sent.status_code == 202 and sent.get_json()["phone"] == phone


def test_limited_to_20_an_hour_per_user(isb, url):
    for _ in range(20):
        assert isb.post(url, json={"phone": "+923001234567"}).status_code == 202
    error = error_of(isb.post(url, json={"phone": "+923001234567"}), 429)
    assert error["code"] == "rate_limited"
    assert error["details"] == {"limit": 20, "window_seconds": 3600}
    assert _queued() == 20
    # Rows written more than an hour ago no longer count.
    db.session.execute(
        Message.__table__.update().values(created_at=utcnow() - timedelta(minutes=61))
    )
    db.session.commit()
    assert isb.post(url, json={"phone": "+923001234567"}).status_code == 202


def test_the_openapi_document_names_the_429(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    responses = spec["paths"]["/api/v1/campaigns/{campaign_id}/test-send"]["post"]["responses"]
    assert {"202", "403", "429"} <= set(responses)
