"""The sweeper: calls the provider stopped telling us about are ended, not left "in progress".

A call placed (initiated, ringing or in progress) that has had no status callback for much
longer than any call lasts (`CALL_SWEEP_SECONDS`, 2 hours by default) ends `interrupted`, not
`failed`: it may well have rung or been answered (a lost callback says nothing about the
number), so it must never be placed again, and `failed` would blame the number. Its current
attempt row ends the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from outreach.models import Call, CallAttempt, CallStatus
from outreach.voice.calls import IN_FLIGHT

DEFAULT_SWEEP_AFTER = timedelta(hours=2)
WHY = "no status callback for {hours:g} h after it was placed; it may have rung or been answered"


def sweep_silent_calls(
    session: Session, now: datetime, after: timedelta = DEFAULT_SWEEP_AFTER
) -> int:
    """End the calls silent for longer than `after` as `interrupted`; how many were ended."""
    silent = and_(Call.status.in_(IN_FLIGHT), Call.updated_at < now - after)
    ids = list(session.execute(select(Call.id).where(silent)).scalars())
    if not ids:
        return 0
    why = WHY.format(hours=after.total_seconds() / 3600)
    ended = session.execute(
        update(Call)
        .where(Call.id.in_(ids), silent)
        .values(status=CallStatus.INTERRUPTED, error_message=why, ended_at=now, updated_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.execute(
        update(CallAttempt)
        .where(
            CallAttempt.call_id.in_(ids),
            CallAttempt.number
            == select(Call.attempts).where(Call.id == CallAttempt.call_id).scalar_subquery(),
            CallAttempt.status.in_(IN_FLIGHT),
        )
        .values(status=CallStatus.INTERRUPTED, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    return ended
