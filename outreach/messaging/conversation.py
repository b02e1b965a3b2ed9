"""One phone's conversation with the MRCs: what was sent to a number and what came from it."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.models import Direction, Message


def phone_conversation(
    session: Session, scope: Scope, phone: str, limit: int = 200
) -> list[Message]:
    """The latest messages to and from `phone` in the scope's regions, oldest first."""
    stmt = scope.apply(
        select(Message).where(
            or_(
                and_(Message.direction == Direction.OUTBOUND, Message.to_phone == phone),
                and_(Message.direction == Direction.INBOUND, Message.from_phone == phone),
            )
        ),
        Message.region_id,
    )
    newest = session.execute(
        stmt.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    ).scalars()
    return list(reversed(list(newest)))
