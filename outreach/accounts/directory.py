"""Looking up staff for display: who recorded a consent event, who did an audited action."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.models import User


def emails_by_id(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """The email of each of these users that exists, by user id."""
    wanted = {uid for uid in user_ids if uid is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.email).where(User.id.in_(wanted)))
    return {uid: email for uid, email in rows}
