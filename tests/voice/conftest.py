"""Fixtures for the call flow: menus, a voice campaign's calls, and a Twilio-like caller."""

from __future__ import annotations

import uuid

import menus_for_tests
import pytest
from voice_campaigns import as_voice
from walker import Walker

from outreach.extensions import db
from outreach.messaging.provider import webhook_auth_token
from outreach.models import Call, CallStatus, CampaignStatus, Region, utcnow

CALL_PATH = "/webhooks/twilio/voice/call/"


@pytest.fixture
def voice_menus(monkeypatch):
    """The call flow reads the small test topic (`menus_for_tests`)."""
    menus_for_tests.install(monkeypatch)
    return menus_for_tests


@pytest.fixture
def voice_campaign(make_campaign):
    """A running voice campaign of the test topic in Islamabad."""
    return as_voice(make_campaign(topic=menus_for_tests.TOPIC, status=CampaignStatus.RUNNING))


@pytest.fixture
def make_call(app):
    """An outbound call of a campaign to a contact, answered: `make_call(contact, campaign)`."""

    def make(contact, campaign=None, language=None) -> Call:
        call = Call(
            direction="outbound",
            campaign_id=campaign.id if campaign else None,
            contact_id=contact.id,
            region_id=contact.region_id,
            to_phone=contact.phone,
            from_phone="+15005550006",
            language=language or contact.language,
            status=CallStatus.IN_PROGRESS,
            provider_sid="CA" + uuid.uuid4().hex,
            attempts=1,
            created_at=utcnow(),
        )
        db.session.add(call)
        db.session.commit()
        return call

    return make


@pytest.fixture
def phone(app, client):
    """A Twilio-like caller: `phone(caller, to, sid=None)`, posting signed webhooks."""

    def make(caller: str = "+923001234567", to: str = "+15005550006", sid=None) -> Walker:
        return Walker(client, webhook_auth_token(app.config), caller, to, sid)

    return make


@pytest.fixture
def answered(app, phone):
    """Answer an outbound call as Twilio does: (the walker, the first TwiML heard)."""

    def answer(call: Call):
        walker = phone(call.to_phone, call.from_phone, call.provider_sid)
        return walker, walker.post(app.config["PUBLIC_BASE_URL"] + CALL_PATH + str(call.id))

    return answer


@pytest.fixture
def hotline_region(app, region):
    """Set a region's sender number and hotline mode: `hotline_region("pk-isb", "menu")`."""

    def setup(code: str = "pk-isb", mode: str = "menu", number: str = "+925111110000") -> Region:
        found = region(code)
        found.sender_number = number
        found.hotline = mode
        db.session.commit()
        return found

    return setup
