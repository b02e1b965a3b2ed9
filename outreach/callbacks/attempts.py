"""Recording a call attempt: its outcome closes the request, or says when to try again.

`reached`, `refused` and `wrong_number` close it (done). `language_mismatch` keeps it open and
due at once, for a counsellor who speaks the person's language. `call_later` is due when the
person asked. `no_answer`, `busy` and `switched_off` count as failed: due again at the next
suggested time (`scheduling.next_attempt_at`), and after the region's maximum of failed
attempts the request is unreachable and, where the person may be texted, an SMS tells them how
to reach the MRC. Only the counsellor holding the claim records; the attempt ends the claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.callbacks.claims import Move, get_request, move, refusal
from outreach.callbacks.scheduling import next_attempt_at
from outreach.callbacks.texts import queue_text
from outreach.errors import ValidationFailed
from outreach.models import (
    AttemptOutcome,
    CallbackAttempt,
    CallbackRequest,
    CallbackTopic,
    Contact,
    Region,
)

CLOSING = frozenset({AttemptOutcome.REACHED, AttemptOutcome.REFUSED, AttemptOutcome.WRONG_NUMBER})
UNANSWERED = frozenset({AttemptOutcome.NO_ANSWER, AttemptOutcome.BUSY, AttemptOutcome.SWITCHED_OFF})
MAX_NOTE = 2000
_LATEST_CALL_AT = timedelta(days=90)


@dataclass(frozen=True)
class AttemptInput:
    """What a counsellor records about one call."""

    outcome: AttemptOutcome
    note: str | None = None
    topics: tuple[str, ...] = ()
    call_at: datetime | None = None


def record_attempt(
    session: Session, scope: Scope, request_id: int, attempt: AttemptInput, now: datetime
) -> CallbackRequest:
    """Record an attempt by the claim's holder and move the request on; 409 for anyone else."""
    request = get_request(session, scope, request_id)
    _check(attempt, now)
    contact = session.get(Contact, request.contact_id)
    region = session.get(Region, request.region_id)
    target, values = _next_state(session, request, attempt, contact, region, now)
    if not move(session, request.id, target, scope.user_id, now, **values):
        raise refusal(session, scope, request.id, now)
    session.add(
        CallbackAttempt(
            request_id=request.id,
            outcome=attempt.outcome,
            note=attempt.note or None,
            topics=list(attempt.topics),
            call_at=attempt.call_at,
            user_id=scope.user_id,
            at=now,
        )
    )
    if target is Move.GIVE_UP:
        queue_text(session, contact, "callback_unreachable", now)
    record_audit(
        session,
        scope.user_id,
        "callback.attempt",
        "callback",
        request.id,
        outcome=attempt.outcome.value,
        contact_id=contact.id,
    )
    session.flush()
    return get_request(session, scope, request.id)


def _check(attempt: AttemptInput, now: datetime) -> None:
    """Refuse an attempt that does not make sense (422), naming the field."""
    if attempt.note is not None and len(attempt.note) > MAX_NOTE:
        raise ValidationFailed(f"a note has at most {MAX_NOTE} characters", {"field": "note"})
    unknown = sorted(set(attempt.topics) - {t.value for t in CallbackTopic})
    if unknown:
        raise ValidationFailed(f"unknown topics: {', '.join(unknown)}", {"field": "topics"})
    if attempt.topics and attempt.outcome is not AttemptOutcome.REACHED:
        raise ValidationFailed("topics are recorded for a reached person", {"field": "topics"})
    if attempt.outcome is AttemptOutcome.CALL_LATER:
        if attempt.call_at is None or attempt.call_at.tzinfo is None:
            raise ValidationFailed(
                "call_later needs call_at, a time with its offset", {"field": "call_at"}
            )
        if not now < attempt.call_at <= now + _LATEST_CALL_AT:
            raise ValidationFailed("call_at must be in the next 90 days", {"field": "call_at"})
    elif attempt.call_at is not None:
        raise ValidationFailed("call_at is only for call_later", {"field": "call_at"})


def _next_state(session, request, attempt: AttemptInput, contact, region, now):
    """The move an attempt makes, and when the request is due next."""
    outcome = attempt.outcome
    if outcome in CLOSING:
        return Move.CLOSE, {"outcome": outcome.value}
    if outcome is AttemptOutcome.CALL_LATER:
        return Move.REOPEN, {"due_at": attempt.call_at}
    if outcome is AttemptOutcome.LANGUAGE_MISMATCH:
        return Move.REOPEN, {"due_at": now}
    failed_before = session.execute(
        select(func.count())
        .select_from(CallbackAttempt)
        .where(
            CallbackAttempt.request_id == request.id,
            CallbackAttempt.outcome.in_([o.value for o in UNANSWERED]),
        )
    ).scalar_one()
    if failed_before + 1 >= region.callback_max_attempts:
        return Move.GIVE_UP, {"outcome": outcome.value}
    return Move.REOPEN, {"due_at": next_attempt_at(region, contact.phone, now, now)}
