"""Call status callbacks: only forward, duplicates harmless, earlier attempts kept apart.

`apply_call_status` is the one place a provider status moves a call (the diagram is on
`CallStatus`). Each attempt has its own row (`call_attempts`) with its SID: a callback of an
earlier attempt changes that row only. Busy and no-answer are retried at the campaign's interval
inside the recipient's window, up to `retry_max` times; so is a machine that was hung up on
(`machine` = "hangup"); a call answered by a person never is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outreach.messaging.compose import campaign_window, region_zone
from outreach.messaging.window import is_open, next_opening, recipient_zones
from outreach.models import MAX_ID, Call, CallAttempt, CallStatus, Campaign, Region
from outreach.voice.calls import RANK, add_attempt, answered_by_person, lower_than

S = CallStatus
PROVIDER_STATUSES = {
    "initiated": S.INITIATED,
    "ringing": S.RINGING,
    "in-progress": S.IN_PROGRESS,
    "answered": S.IN_PROGRESS,
    "completed": S.COMPLETED,
    "busy": S.BUSY,
    "no-answer": S.NO_ANSWER,
    "failed": S.FAILED,
    "canceled": S.CANCELED,
}
RETRIED = (S.BUSY, S.NO_ANSWER)
_QUIET = {"synchronize_session": False}


@dataclass(frozen=True)
class CallEvent:
    """One status callback, as plain values."""

    sid: str | None
    status: str
    call_id: str | None = None  # our id from the callback URL (`c`)
    attempt: str | None = None  # the attempt number from the callback URL (`a`)
    duration: str | None = None
    answered_by: str | None = None
    timestamp: str | None = None  # when it happened, by the provider's clock (RFC 2822)


def event_time(timestamp: str | None, now: datetime) -> datetime:
    """When the event happened: the callback's own `Timestamp` (a callback that arrives late
    must not push a retry later), never after `now`; `now` when it has none."""
    try:
        at = parsedate_to_datetime(timestamp) if timestamp else None
    except (TypeError, ValueError):
        at = None
    if at is None or at.tzinfo is None:
        return now
    return min(at.astimezone(UTC), now)


def is_machine(answered_by: str | None) -> bool:
    """Twilio's AnsweredBy says a machine (or fax) took the call."""
    return bool(answered_by) and (answered_by.startswith("machine") or answered_by == "fax")


def _number(value: str | None) -> int | None:
    if value and value.isascii() and value.isdigit() and len(value) <= 10:
        return int(value) if int(value) <= MAX_ID else None
    return None


def apply_call_status(session: Session, event: CallEvent, now: datetime) -> bool:
    """Record a call status callback; False when it changed nothing (unknown, late, repeated)."""
    new = PROVIDER_STATUSES.get((event.status or "").strip().lower())
    if new is None or not event.sid:
        return False
    now = event_time(event.timestamp, now)
    found = find_attempt(session, event, now)
    if found is None:
        return _apply_inbound(session, event.sid, new, event, now)
    call, number = found
    _advance_attempt(session, call.id, number, new, event, now)
    if number != call.attempts:
        return False  # an earlier attempt: its row has it, the call has moved on
    if new in RETRIED or (new == S.COMPLETED and _hung_up_on_machine(session, call, event)):
        return _retry_or_end(session, call, number, new, event, now)
    return _advance_call(session, call.id, number, new, event, now)


def find_attempt(session: Session, event: CallEvent, now: datetime):
    """(call, attempt number) the callback is about, counting an attempt the provider accepted
    before the dialer could record it (its callback is the proof); None if not outbound."""
    row = session.execute(
        select(CallAttempt.call_id, CallAttempt.number).where(CallAttempt.provider_sid == event.sid)
    ).first()
    if row is not None:
        return session.get(Call, row.call_id), row.number
    call_id, number = _number(event.call_id), _number(event.attempt)
    call = session.get(Call, call_id) if call_id is not None else None
    if call is None or number is None or number > call.attempts + 1:
        return None
    if number == call.attempts + 1 and call.status in (S.DIALING, S.INTERRUPTED):
        add_attempt(session, call.id, number, event.sid, S.INITIATED, now)
        session.execute(
            update(Call)
            .where(Call.id == call.id, Call.attempts < number)
            .values(attempts=number, provider_sid=event.sid, answered_at=None, answered_by=None),
            execution_options=_QUIET,
        )
        session.refresh(call)
        return call, number
    return None


def _details(new: CallStatus, event: CallEvent, now: datetime) -> dict:
    values: dict = {"updated_at": now}
    duration = _number(event.duration)
    if duration is not None and new in (S.COMPLETED, S.BUSY, S.NO_ANSWER, S.FAILED, S.CANCELED):
        values["duration_seconds"] = duration
    if event.answered_by:
        values["answered_by"] = event.answered_by[:32]
    return values


def _advance_attempt(session, call_id, number, new, event, now) -> None:
    session.execute(
        update(CallAttempt)
        .where(
            CallAttempt.call_id == call_id,
            CallAttempt.number == number,
            CallAttempt.status.in_(lower_than(new)),
        )
        .values(status=new, **_details(new, event, now)),
        execution_options=_QUIET,
    )


def _advance_call(session, call_id, number, new, event, now) -> bool:
    values = {"status": new, "claimed_by": None, **_details(new, event, now)}
    if new == S.IN_PROGRESS:
        values["answered_at"] = now
    if RANK[new] == RANK[S.COMPLETED]:
        values["ended_at"] = now
    result = session.execute(
        update(Call)
        .where(Call.id == call_id, Call.attempts == number, Call.status.in_(lower_than(new)))
        .values(**values),
        execution_options=_QUIET,
    )
    return result.rowcount == 1


def _hung_up_on_machine(session: Session, call: Call, event: CallEvent) -> bool:
    campaign = session.get(Campaign, call.campaign_id) if call.campaign_id else None
    answered_by = event.answered_by or call.answered_by
    return campaign is not None and campaign.machine == "hangup" and is_machine(answered_by)


def _retry_or_end(session, call: Call, number: int, new, event, now) -> bool:
    """Busy, no-answer or a machine hung up on: due again after the interval (inside the
    window) while attempts are left and no person answered; else it ends as it came (a hung-up
    machine as no-answer)."""
    campaign = session.get(Campaign, call.campaign_id)
    if event.answered_by:  # who answered decides whether it may be retried
        session.execute(
            update(Call)
            .where(Call.id == call.id, Call.attempts == number)
            .values(answered_by=event.answered_by[:32]),
            execution_options=_QUIET,
        )
    if number <= campaign.retry_max:
        due = retry_due(session, call, campaign, now)
        result = session.execute(
            update(Call)
            .where(
                Call.id == call.id,
                Call.attempts == number,
                Call.status.in_(lower_than(S.COMPLETED)),
                ~answered_by_person(),
            )
            .values(
                status=S.RETRY_PENDING,
                next_attempt_at=due,
                claimed_by=None,
                ended_at=now,
                **_details(S.NO_ANSWER, event, now),
            ),
            execution_options=_QUIET,
        )
        if result.rowcount == 1:
            return True
    final = S.NO_ANSWER if new == S.COMPLETED else new
    return _advance_call(session, call.id, number, final, event, now)


def retry_due(session: Session, call: Call, campaign: Campaign, now: datetime) -> datetime:
    """When the next attempt is due: after the campaign's interval, at the next opening of the
    recipient's window if that falls outside it."""
    due = now + timedelta(minutes=campaign.retry_interval_minutes)
    region = session.get(Region, call.region_id)
    window = campaign_window(campaign, region)
    zones = recipient_zones(call.to_phone, region.timezone)
    if is_open(window, due, zones):
        return due
    return next_opening(window, due, zones, region_zone(region))


def _apply_inbound(session, sid: str, new, event: CallEvent, now) -> bool:
    """A hotline call's callback, matched by its SID (inbound calls have one attempt)."""
    call_id = session.execute(
        select(Call.id).where(Call.provider_sid == sid, Call.direction == "inbound")
    ).scalar_one_or_none()
    if call_id is None:
        return False
    values = {"status": new, **_details(new, event, now)}
    if RANK[new] == RANK[S.COMPLETED]:
        values["ended_at"] = now
    # An inbound call starts in-progress, so only a later status moves it: a late `ringing`
    # (Twilio's callbacks may arrive out of order) never takes an answered call back.
    result = session.execute(
        update(Call).where(Call.id == call_id, Call.status.in_(lower_than(new))).values(**values),
        execution_options=_QUIET,
    )
    return result.rowcount == 1


def apply_amd(session: Session, sid: str | None, answered_by: str | None, now: datetime):
    """Record who answered (asynchronous machine detection). Returns what to do with the live
    call — "message" (leave the voicemail), "hangup", or None — and the call, when the result
    is about the call's current attempt; (None, None) otherwise."""
    if not sid or not answered_by:
        return None, None
    row = session.execute(
        select(CallAttempt.call_id, CallAttempt.number).where(CallAttempt.provider_sid == sid)
    ).first()
    if row is None:
        return None, None
    answered_by = answered_by[:32]
    session.execute(
        update(CallAttempt)
        .where(CallAttempt.call_id == row.call_id, CallAttempt.number == row.number)
        .values(answered_by=answered_by, updated_at=now),
        execution_options=_QUIET,
    )
    call = session.get(Call, row.call_id)
    if call is None or call.attempts != row.number:
        return None, None
    call.answered_by = answered_by
    call.updated_at = now
    campaign = session.get(Campaign, call.campaign_id) if call.campaign_id else None
    if campaign is None or not is_machine(answered_by) or call.status != S.IN_PROGRESS:
        return None, call
    return campaign.machine, call
