"""Moving a request along its states (`CallbackStatus`): claims, releases, reassignments.

`move` is the one place a request's status changes: one conditional UPDATE whose WHERE holds
the move's guard, so two counsellors claiming at once cannot both win, and an attempt recorded
by someone whose claim was taken over is refused rather than written over the new claim.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.errors import Conflict, Forbidden, NotFound
from outreach.models import CallbackRequest, CallbackStatus, Role, User

DEFAULT_CLAIM_MINUTES = 30


class Move(enum.StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    REASSIGN = "reassign"
    REOPEN = "reopen"  # an attempt that leaves the request open for the next one
    CLOSE = "close"  # reached, refused, wrong number
    GIVE_UP = "give_up"  # the region's last failed attempt
    CANCEL = "cancel"


_TARGET = {
    Move.CLAIM: CallbackStatus.CLAIMED,
    Move.RELEASE: CallbackStatus.OPEN,
    Move.REASSIGN: CallbackStatus.CLAIMED,
    Move.REOPEN: CallbackStatus.OPEN,
    Move.CLOSE: CallbackStatus.DONE,
    Move.GIVE_UP: CallbackStatus.UNREACHABLE,
    Move.CANCEL: CallbackStatus.CANCELLED,
}
_UNCLAIMED = {"claimed_by_id": None, "claimed_at": None, "claim_expires_at": None}


def _claim_over(now: datetime):
    """A claim past its expiry (or with none: one made before claims expired) is over."""
    expires = CallbackRequest.claim_expires_at
    return or_(expires.is_(None), expires <= now)


def _guard(move: Move, user_id: int | None, now: datetime):
    """The states (and claim) a move may start from, as a WHERE clause."""
    status = CallbackRequest.status
    claimable = or_(
        status == CallbackStatus.OPEN,
        and_(status == CallbackStatus.CLAIMED, _claim_over(now)),
    )
    held_by_user = and_(status == CallbackStatus.CLAIMED, CallbackRequest.claimed_by_id == user_id)
    if move is Move.CLAIM:
        return or_(claimable, held_by_user)  # claiming again renews one's own claim
    if move in (Move.REASSIGN, Move.CANCEL):
        return status.in_((CallbackStatus.OPEN, CallbackStatus.CLAIMED))
    return held_by_user  # release, and every attempt: only by the one holding the claim


def move(
    session: Session, request_id: int, move: Move, user_id: int | None, now: datetime, **values
) -> bool:
    """Apply `move` in one conditional UPDATE; False when the request's state did not allow it."""
    values = {"status": _TARGET[move].value, **values}
    if _TARGET[move] is not CallbackStatus.CLAIMED:
        values = {**_UNCLAIMED, **values}
    if _TARGET[move] in (CallbackStatus.DONE, CallbackStatus.UNREACHABLE, CallbackStatus.CANCELLED):
        values.setdefault("completed_at", now)
    result = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request_id, _guard(move, user_id, now))
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def get_request(session: Session, scope: Scope, request_id: int) -> CallbackRequest:
    """A request in the user's regions; another region's is not found (404)."""
    request = session.get(CallbackRequest, request_id, populate_existing=True)
    if request is None or not scope.allows(request.region_id):
        raise NotFound("call-back request not found")
    return request


def claim_request(
    session: Session, scope: Scope, request_id: int, now: datetime, minutes: int
) -> CallbackRequest:
    """Claim a request for the user; 409 `claimed` naming who holds it when someone else does."""
    get_request(session, scope, request_id)
    claimed = move(
        session,
        request_id,
        Move.CLAIM,
        scope.user_id,
        now,
        claimed_by_id=scope.user_id,
        claimed_at=now,
        claim_expires_at=now + timedelta(minutes=minutes),
    )
    if not claimed:
        raise refusal(session, scope, request_id, now)
    record_audit(session, scope.user_id, "callback.claim", "callback", request_id)
    return get_request(session, scope, request_id)


def release_request(session: Session, scope: Scope, request_id: int, now: datetime):
    """Give a claimed request back to the queue (only its holder)."""
    get_request(session, scope, request_id)
    if not move(session, request_id, Move.RELEASE, scope.user_id, now, due_at=now):
        raise refusal(session, scope, request_id, now)
    record_audit(session, scope.user_id, "callback.release", "callback", request_id)
    return get_request(session, scope, request_id)


def reassign_request(
    session: Session, scope: Scope, request_id: int, user_id: int, now: datetime, minutes: int
) -> CallbackRequest:
    """An admin hands an open or claimed request to a counsellor of its region."""
    if scope.role is not None and scope.role != Role.ADMIN:
        raise Forbidden("only admins may reassign a call-back")
    request = get_request(session, scope, request_id)
    user = session.get(User, user_id)
    if user is None or not user.is_active or not _may_work(user, request.region_id):
        raise NotFound("no such counsellor in the request's region", {"field": "user_id"})
    reassigned = move(
        session,
        request_id,
        Move.REASSIGN,
        scope.user_id,
        now,
        claimed_by_id=user.id,
        claimed_at=now,
        claim_expires_at=now + timedelta(minutes=minutes),
    )
    if not reassigned:
        raise Conflict("the request is closed", code="closed")
    record_audit(
        session, scope.user_id, "callback.reassign", "callback", request_id, to_user_id=user.id
    )
    return get_request(session, scope, request_id)


def _may_work(user: User, region_id: int) -> bool:
    return user.role == Role.ADMIN or (
        user.role == Role.COUNSELLOR and any(r.id == region_id for r in user.regions)
    )


def refusal(session: Session, scope: Scope, request_id: int, now: datetime) -> Conflict:
    """Why a claim, release or attempt was refused: someone holds it, or it is not claimed."""
    request = get_request(session, scope, request_id)
    if request.status in (
        CallbackStatus.DONE,
        CallbackStatus.UNREACHABLE,
        CallbackStatus.CANCELLED,
    ):
        return Conflict(
            f"the request is {request.status}", {"status": request.status}, code="closed"
        )
    holder = None
    expires = request.claim_expires_at
    if request.status == CallbackStatus.CLAIMED and expires is not None and expires > now:
        holder = session.execute(
            select(User.email).where(User.id == request.claimed_by_id)
        ).scalar_one_or_none()
    if holder is not None:
        return Conflict(f"{holder} holds this request", {"by": holder}, code="claimed")
    return Conflict("claim the request first", {"by": None}, code="not_claimed")
