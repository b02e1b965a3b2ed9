"""Consent: the one place a contact's consent state changes, and the rule that an opt-out stands."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from outreach.errors import Conflict, ValidationFailed
from outreach.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Contact,
    utcnow,
)

OPTED_OUT_STANDS = "opted out, not re-subscribed"

# The person themselves may always opt back in; staff only by recording a new, explicit opt-in.
PERSONAL_CHANNELS = frozenset({ConsentChannel.SMS, ConsentChannel.IVR})
STAFF_CHANNELS = frozenset({ConsentChannel.WEB, ConsentChannel.API})

_MOVES = {
    ConsentAction.OPT_IN: ConsentState.OPTED_IN,
    ConsentAction.OPT_OUT: ConsentState.OPTED_OUT,
}


class OptOutStands(Conflict):
    """An opted-out contact may not be re-subscribed this way."""

    code = "opted_out"

    def __init__(self) -> None:
        super().__init__(OPTED_OUT_STANDS)


def may_opt_in(contact: Contact, channel: ConsentChannel, *, explicit: bool) -> bool:
    """Whether an opt-in through `channel` may reverse this contact's opt-out."""
    if contact.consent != ConsentState.OPTED_OUT:
        return True
    return channel in PERSONAL_CHANNELS or (channel in STAFF_CHANNELS and explicit)


def apply_consent(
    session: Session,
    contact: Contact,
    action: ConsentAction,
    channel: ConsentChannel,
    source: str,
    *,
    user_id: int | None = None,
    at: datetime | None = None,
    explicit: bool = False,
) -> ConsentEvent:
    """Move a contact's consent and record the event; raise `OptOutStands` when not allowed.

    An opt-out always applies. An opt-in reverses an opt-out only when the person asks (SMS,
    IVR) or staff record a new, explicit opt-in (`explicit=True`) with its source.
    """
    source = (source or "").strip()
    if channel not in PERSONAL_CHANNELS and not source:
        raise ValidationFailed("a consent change needs its source", {"field": "source"})
    if action == ConsentAction.OPT_IN and not may_opt_in(contact, channel, explicit=explicit):
        raise OptOutStands()
    now = utcnow()
    event = ConsentEvent(
        contact=contact,
        action=action,
        channel=channel,
        source=source,
        user_id=user_id,
        at=at or now,
        recorded_at=now,
    )
    session.add(event)
    new_state = _MOVES[action]
    if contact.consent != new_state:
        contact.consent = new_state
        contact.consent_changed_at = at or now
    return event
