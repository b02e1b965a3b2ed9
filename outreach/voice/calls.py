"""The call queue: claiming due calls, committing `dialing`, recording what the provider said.

Every function takes a session and `now`; none commits. The status machine is written down on
`outreach.models.call.CallStatus`; provider statuses move a call only through
`outreach.voice.status.apply_call_status`, and the dialer's own moves are the functions here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.messaging.outbox import (
    OPTED_OUT,
    OPTED_OUT_MESSAGE,
    ClaimedRows,
    may_receive,
    release_stuck,
    renew_claims,
)
from outreach.models import (
    Call,
    CallAttempt,
    CallStatus,
    Campaign,
    CampaignStatus,
)

S = CallStatus
PENDING = (S.QUEUED, S.HELD, S.RETRY_PENDING)
IN_FLIGHT = (S.INITIATED, S.RINGING, S.IN_PROGRESS)
FINAL = (S.COMPLETED, S.BUSY, S.NO_ANSWER, S.FAILED, S.CANCELED, S.INTERRUPTED)
OUTBOUND = "outbound"
_QUIET = {"synchronize_session": False}

# Within one attempt a status only moves to a higher rank. `interrupted` sits just above
# `dialing`: a callback of that very attempt may still tell that it went.
RANK = {
    S.DIALING: 10,
    S.INTERRUPTED: 15,
    S.INITIATED: 20,
    S.RINGING: 30,
    S.IN_PROGRESS: 40,
    S.COMPLETED: 50,
    S.BUSY: 50,
    S.NO_ANSWER: 50,
    S.FAILED: 50,
    S.CANCELED: 50,
}


def lower_than(new: CallStatus) -> list[CallStatus]:
    """The statuses of an attempt under way that may move to `new`."""
    return [status for status, rank in RANK.items() if rank < RANK[new]]


def claim_due(session: Session, worker_id: str, now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` due outbound calls of running campaigns for this worker (SKIP LOCKED
    on PostgreSQL; SQLite's single writer gives the same guarantee)."""
    due = (
        select(Call.id)
        .join(Campaign, Campaign.id == Call.campaign_id)
        .where(
            Call.status.in_(PENDING),
            Call.next_attempt_at <= now,
            Call.claimed_by.is_(None),
            Call.direction == OUTBOUND,
            Campaign.status == CampaignStatus.RUNNING,
        )
        .order_by(Call.next_attempt_at, Call.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=Call, skip_locked=True)
    ids = list(session.execute(due).scalars())
    if not ids:
        return []
    claimed = session.execute(
        update(Call)
        .where(Call.id.in_(ids), Call.claimed_by.is_(None))
        .values(claimed_by=worker_id, claimed_at=now)
        .returning(Call.id),
        execution_options=_QUIET,
    )
    return sorted(claimed.scalars())


def _campaign_running():
    return (
        select(Campaign.id)
        .where(Campaign.id == Call.campaign_id, Campaign.status == CampaignStatus.RUNNING)
        .exists()
    )


def mark_dialing(session: Session, call_id: int, worker_id: str, now: datetime) -> bool:
    """Commit `dialing` only if the claim, the campaign and the recipient's consent all hold.

    Consent is checked in this very UPDATE, so an opt-out committed before it always wins. A
    call answered by a person before (`answered_at` without a machine) is never placed again.
    """
    result = session.execute(
        update(Call)
        .where(
            Call.id == call_id,
            Call.claimed_by == worker_id,
            Call.status.in_(PENDING),
            _campaign_running(),
            may_receive(Call),
            ~answered_by_person(),
        )
        .values(status=S.DIALING, claimed_at=now, updated_at=now),
        execution_options=_QUIET,
    )
    return result.rowcount == 1


def answered_by_person():
    """SQL: the call's current attempt was answered, and not by a machine."""
    machine = or_(Call.answered_by.like("machine%"), Call.answered_by == "fax")
    return and_(Call.answered_at.is_not(None), or_(Call.answered_by.is_(None), ~machine))


def fail_opted_out(session: Session, call_id: int, worker_id: str, now: datetime) -> bool:
    """End a claimed call `failed` (`opted_out`) if its recipient may no longer be called."""
    result = session.execute(
        update(Call)
        .where(
            Call.id == call_id,
            Call.claimed_by == worker_id,
            Call.status.in_(PENDING),
            ~may_receive(Call),
        )
        .values(
            status=S.FAILED,
            claimed_by=None,
            error_code=OPTED_OUT,
            error_message=OPTED_OUT_MESSAGE,
            updated_at=now,
        ),
        execution_options=_QUIET,
    )
    return result.rowcount == 1


def release(session: Session, call_id: int, worker_id: str, now: datetime) -> None:
    """Give a claimed, still pending call back to the queue."""
    session.execute(
        update(Call)
        .where(Call.id == call_id, Call.claimed_by == worker_id, Call.status.in_(PENDING))
        .values(claimed_by=None, updated_at=now),
        execution_options=_QUIET,
    )


def hold(call: Call, until: datetime, now: datetime) -> None:
    """Wait for the recipient's window; a retry stays `retry-pending`, only later."""
    if call.status != S.RETRY_PENDING:
        call.status = S.HELD
    call.next_attempt_at = until
    call.claimed_by = None
    call.updated_at = now


def back_from_dialing(
    session: Session, call_id: int, retry_at: datetime, error: str | None, now: datetime
) -> None:
    """The request never reached the provider (a transient error, or its start slot passed):
    the call goes back to the queue, its attempt not counted."""
    session.execute(
        update(Call)
        .where(Call.id == call_id, Call.status == S.DIALING)
        .values(
            status=S.QUEUED,
            claimed_by=None,
            next_attempt_at=retry_at,
            error_message=error,
            updated_at=now,
        ),
        execution_options=_QUIET,
    )


def end_from_dialing(
    session: Session, call_id: int, status: CallStatus, code: str | None, error: str, now
) -> None:
    """The provider refused the call for good (`failed`), or may have placed it without
    telling us (`interrupted`: never placed again)."""
    session.execute(
        update(Call)
        .where(Call.id == call_id, Call.status == S.DIALING)
        .values(
            status=status, claimed_by=None, error_code=code, error_message=error, updated_at=now
        ),
        execution_options=_QUIET,
    )


def record_accepted(session: Session, call_id: int, number: int, sid: str, now: datetime):
    """The provider accepted attempt `number` as `sid`: the attempt counts from now.

    Its status callback may have come first and done part of this; each step is conditional.
    """
    add_attempt(session, call_id, number, sid, S.INITIATED, now)
    session.execute(
        update(Call)
        .where(Call.id == call_id, Call.attempts < number)
        .values(attempts=number, provider_sid=sid, answered_at=None, answered_by=None),
        execution_options=_QUIET,
    )
    session.execute(
        update(Call)
        .where(Call.id == call_id, Call.status.in_((S.DIALING, S.INTERRUPTED)))
        .values(status=S.INITIATED, started_at=now, updated_at=now),
        execution_options=_QUIET,
    )
    session.execute(
        update(Call).where(Call.id == call_id).values(claimed_by=None), execution_options=_QUIET
    )


def add_attempt(session: Session, call_id: int, number: int, sid: str, status, now) -> None:
    """The attempt's row, once (a second writer's insert is skipped)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(CallAttempt)
        .values(
            call_id=call_id,
            number=number,
            provider_sid=sid,
            status=status,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )


def keep_claims(session: Session, worker_id: str, ids: Collection[int], now: datetime) -> None:
    """Renew this worker's claims on the calls it still works on."""
    renew_claims(session, Call, worker_id, ids, now)


def recover_claims(session, worker_id, held, now, worker_timeout, claim_timeout):
    """Give back stuck claims as the outbox does (`release_stuck`): pending calls go back to
    the queue; a call in `dialing` may have reached the provider, so it becomes `interrupted`,
    never placed again. Returns (released, interrupted)."""
    return release_stuck(session, _CALLS, worker_id, held, now, worker_timeout, claim_timeout)


_IN_DOUBT = " while this call was being placed; it may have rung, so it is not placed again"
_CALLS = ClaimedRows(Call, PENDING, S.DIALING, S.INTERRUPTED, _IN_DOUBT)
