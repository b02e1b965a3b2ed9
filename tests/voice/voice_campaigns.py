"""Voice campaigns for the tests, made from the SMS campaign factory."""

from __future__ import annotations

from outreach.extensions import db


def as_voice(campaign):
    """A campaign made by the SMS factory, turned into a voice campaign."""
    campaign.channel = "voice"
    db.session.commit()
    return campaign
