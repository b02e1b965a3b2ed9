"""The outbox: claiming due messages, recording what the provider said, moving statuses forward.

Every function takes a session and `now`; none commits. The status machine is written down on
`outreach.models.message.MessageStatus`; `advance_status` is the one place a status moves.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from outreach.models import (
    Campaign,
    CampaignStatus,
    ConsentState,
    Contact,
    Message,
    MessageStatus,
    WorkerHeartbeat,
)

# Rank of each status: a status only ever moves to a higher rank (the worker's own moves back to
# the queue go through `requeue` and `hold`). An interrupted message whose callback then tells it
# was sent moves on to sent; final statuses share the top rank and never change.
_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.HELD: 0,
    MessageStatus.SENDING: 10,
    MessageStatus.INTERRUPTED: 15,
    MessageStatus.SENT: 20,
    MessageStatus.DELIVERED: 30,
    MessageStatus.UNDELIVERED: 30,
    MessageStatus.FAILED: 30,
}
PENDING = (MessageStatus.QUEUED, MessageStatus.HELD)
_REACHED_PROVIDER = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNDELIVERED)
MAX_ATTEMPTS = 8
OPTED_OUT = "opted_out"  # the error code of a message refused for consent
OPTED_OUT_MESSAGE = "the recipient opted out before it was sent"


def lower_than(new: MessageStatus) -> list[MessageStatus]:
    """The statuses a message may move from to reach `new`."""
    return [status for status, rank in _RANK.items() if rank < _RANK[new]]


def advance_status(
    session: Session, message_id: int, new: MessageStatus, now: datetime, **values
) -> bool:
    """Move a message forward to `new` in one conditional UPDATE, so two writers racing (the
    dispatcher recording `sent`, a callback saying `delivered`) can never move it backwards.
    A late or repeated status changes nothing (False)."""
    values = {"status": new, "claimed_by": None, "updated_at": now, **values}
    if new in _REACHED_PROVIDER:
        values["sent_at"] = func.coalesce(Message.sent_at, now)
    if new == MessageStatus.DELIVERED:
        values["delivered_at"] = now
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(lower_than(new)))
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def set_provider_sid(session: Session, message_id: int, sid: str) -> None:
    """Keep the provider's SID (the first one told wins)."""
    session.execute(
        update(Message)
        .where(Message.id == message_id, Message.provider_sid.is_(None))
        .values(provider_sid=sid),
        execution_options={"synchronize_session": False},
    )


def claim_batch(session: Session, worker_id: str, now: datetime, limit: int) -> list[int]:
    """Claim up to `limit` due messages of running campaigns (or of none) for this worker.

    On PostgreSQL the rows are locked with SKIP LOCKED, so workers on several machines never
    claim the same message; SQLite has one writer at a time, which gives the same guarantee.
    """
    due = (
        select(Message.id)
        .outerjoin(Campaign, Campaign.id == Message.campaign_id)
        .where(
            Message.status.in_(PENDING),
            Message.next_attempt_at <= now,
            Message.claimed_by.is_(None),
            or_(Message.campaign_id.is_(None), Campaign.status == CampaignStatus.RUNNING),
        )
        .order_by(Message.next_attempt_at, Message.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=Message, skip_locked=True)
    ids = list(session.execute(due).scalars())
    if not ids:
        return []
    claimed = session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.claimed_by.is_(None))
        .values(claimed_by=worker_id, claimed_at=now)
        .returning(Message.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(claimed.scalars())


def may_receive(row=Message):
    """The recipient may be sent to now: its contact is opted in, and no contact with the number
    it goes to has opted out (a test send has no contact but may go to a contact's number).

    `row` is the outbound model, `Message` or `Call`: both have `contact_id` and `to_phone`."""
    contact_opted_in = or_(
        row.contact_id.is_(None),
        select(Contact.id)
        .where(Contact.id == row.contact_id, Contact.consent == ConsentState.OPTED_IN)
        .exists(),
    )
    number_opted_out = (
        select(Contact.id)
        .where(Contact.phone == row.to_phone, Contact.consent != ConsentState.OPTED_IN)
        .exists()
    )
    return and_(contact_opted_in, ~number_opted_out)


def mark_sending(session: Session, message_id: int, worker_id: str, body: str, now: datetime):
    """Record that the provider request is about to go out.

    False when the claim was lost, the message is no longer pending, its campaign was paused or
    cancelled since it was claimed, or its recipient opted out (then `fail_opted_out` ends it).
    Consent is checked here, in the statement that commits `sending`, so an opt-out committed
    before it always wins, however long the message waited for its place under the rate.
    """
    campaign_running = or_(
        Message.campaign_id.is_(None),
        select(Campaign.id)
        .where(Campaign.id == Message.campaign_id, Campaign.status == CampaignStatus.RUNNING)
        .exists(),
    )
    result = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.claimed_by == worker_id,
            Message.status.in_(PENDING),
            campaign_running,
            may_receive(),
        )
        .values(
            status=MessageStatus.SENDING,
            body=body,
            attempts=Message.attempts + 1,
            claimed_at=now,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def fail_opted_out(session: Session, message_id: int, worker_id: str, now: datetime) -> bool:
    """End a claimed message `failed` (`opted_out`) if its recipient may no longer receive it.

    Called when `mark_sending` refused: a message refused for consent is over, never given back
    to the queue. False when it was refused for another reason (claim, campaign).
    """
    result = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.claimed_by == worker_id,
            Message.status.in_(PENDING),
            ~may_receive(),
        )
        .values(
            status=MessageStatus.FAILED,
            claimed_by=None,
            error_code=OPTED_OUT,
            error_message=OPTED_OUT_MESSAGE,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def release(session: Session, message_id: int, worker_id: str, now: datetime) -> None:
    """Give a claimed message back unsent (its campaign was paused, or the worker is stopping).

    Only a pending one: a message in `sending` keeps its claim until its outcome is recorded or
    recovery marks it interrupted (a released `sending` row would be recovered by no one).
    """
    session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.claimed_by == worker_id,
            Message.status.in_(PENDING),
        )
        .values(claimed_by=None, updated_at=now),
        execution_options={"synchronize_session": False},
    )


def hold(message: Message, until: datetime, now: datetime) -> None:
    """Wait for the recipient's window: held, unclaimed, due when the window opens."""
    message.status = MessageStatus.HELD
    message.next_attempt_at = until
    message.claimed_by = None
    message.updated_at = now


def requeue(message: Message, retry_at: datetime, code: str | None, error: str, now: datetime):
    """A transient failure: back to the queue, due again after the backoff."""
    message.status = MessageStatus.QUEUED
    message.next_attempt_at = retry_at
    message.claimed_by = None
    message.error_code = code
    message.error_message = error
    message.updated_at = now


def fail(message: Message, code: str | None, error: str, now: datetime) -> None:
    """A final failure, with the provider's code."""
    message.status = MessageStatus.FAILED
    message.claimed_by = None
    message.error_code = code
    message.error_message = error
    message.updated_at = now


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait before the next attempt: 10 s doubling to 30 min, or Retry-After."""
    seconds = min(10 * 2 ** max(0, attempts - 1), 1800)
    if retry_after is not None:
        seconds = max(seconds, retry_after)
    return timedelta(seconds=seconds)


def beat(session: Session, worker_id: str, hostname: str, pid: int, now: datetime) -> None:
    """Say this worker is alive."""
    found = session.get(WorkerHeartbeat, worker_id)
    if found is None:
        session.add(
            WorkerHeartbeat(id=worker_id, hostname=hostname, pid=pid, started_at=now, beat_at=now)
        )
    else:
        found.beat_at = now


def count_live_workers(session: Session, now: datetime, timeout: timedelta) -> int:
    """How many workers have beaten within the timeout."""
    return session.execute(
        select(func.count())
        .select_from(WorkerHeartbeat)
        .where(WorkerHeartbeat.beat_at >= now - timeout)
    ).scalar_one()


def keep_claims(session: Session, worker_id: str, ids: Collection[int], now: datetime) -> None:
    """Renew this worker's claims on the messages it is still working on (a message may wait
    for its place under the sending rate far longer than the claim timeout)."""
    renew_claims(session, Message, worker_id, ids, now)


def renew_claims(session: Session, model, worker_id: str, ids: Collection[int], now) -> None:
    """Renew this worker's claims on rows of `model` (Message or Call) it still works on."""
    if ids:
        session.execute(
            update(model)
            .where(model.claimed_by == worker_id, model.id.in_(ids))
            .values(claimed_at=now),
            execution_options={"synchronize_session": False},
        )


@dataclass(frozen=True)
class ClaimedRows:
    """An outbound table whose rows workers claim: which statuses wait, which is in flight."""

    model: type
    pending: tuple
    in_flight: str
    interrupted: str
    in_doubt: str  # why an in-flight row is not tried again, after the reason it was stuck


def release_stuck(
    session: Session,
    rows: ClaimedRows,
    worker_id: str,
    held: Collection[int],
    now: datetime,
    worker_timeout: timedelta,
    claim_timeout: timedelta,
) -> tuple[int, int]:
    """Give back stuck claims: release them if pending, mark them interrupted if in flight.

    A claim is stuck when its worker is gone (no heartbeat within `worker_timeout`); when it is
    this worker's but not among the rows it still works on (`held`: its release or record
    failed while the database was away); or when no one renewed it within `claim_timeout`
    (a live worker lost track of it). Call `renew_claims` first. Returns (released, interrupted).
    """
    model = rows.model
    gone = select(WorkerHeartbeat.id).where(WorkerHeartbeat.beat_at < now - worker_timeout)
    live = select(WorkerHeartbeat.id)
    orphaned = or_(model.claimed_by.in_(gone), model.claimed_by.not_in(live))
    lost = and_(model.claimed_by == worker_id, model.id.not_in(held))
    stale = model.claimed_at < now - claim_timeout
    stuck = and_(model.claimed_by.is_not(None), or_(orphaned, lost, stale))
    # One pass over the table for each status, however many reasons there are.
    released = session.execute(
        update(model)
        .where(model.status.in_(rows.pending), stuck)
        .values(claimed_by=None, updated_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    why = case(
        (orphaned, "the worker stopped"),
        (lost, "the worker lost track of it"),
        else_="its claim was not renewed",
    )
    interrupted = session.execute(
        update(model)
        .where(model.status == rows.in_flight, stuck)
        .values(
            status=rows.interrupted,
            claimed_by=None,
            error_message=why + rows.in_doubt,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    return released, interrupted


def recover_claims(
    session: Session,
    worker_id: str,
    held: Collection[int],
    now: datetime,
    worker_timeout: timedelta,
    claim_timeout: timedelta,
) -> tuple[int, int]:
    """Give back stuck messages' claims (see `release_stuck`), and forget long-gone workers.

    A message in `sending` may have reached the provider, so it is never sent again.
    """
    recovered = release_stuck(
        session, _MESSAGES, worker_id, held, now, worker_timeout, claim_timeout
    )
    session.execute(
        WorkerHeartbeat.__table__.delete().where(
            WorkerHeartbeat.beat_at < now - worker_timeout * 10
        )
    )
    return recovered


_IN_DOUBT = (
    " while this message was being handed to the provider; it may or may not have been sent, "
    "so it is not sent again"
)
_MESSAGES = ClaimedRows(
    Message, PENDING, MessageStatus.SENDING, MessageStatus.INTERRUPTED, _IN_DOUBT
)
