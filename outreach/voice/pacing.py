"""Call starts paced per campaign across every worker: start slots taken from the database.

A campaign row holds `dial_next_at`, the wall-clock time of its next free start. A worker takes
a slot in one conditional UPDATE (two workers never get the same one) when that time is at most
`LEAD` seconds ahead, and starts its call at the slot. The next free start is set from the later
of the slot and the moment it was taken, plus `(1 + SLACK) / calls_per_second`: a worker that
comes late pushes the following starts back rather than letting them crowd in behind it. So the
starts in any one second stay within `calls_per_second` as long as each request leaves within
`SLACK` seconds of its slot being taken; the slack costs as much in pace.

A worker commits its call `dialing` (the consent check) `PREPARE` seconds before it takes the
slot, so the check is never long before the call starts.
Workers compare wall clocks: on several machines, keep them synchronised (NTP).
"""

from __future__ import annotations

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from outreach.models import Campaign

SLACK = 0.05  # of a second per `calls_per_second` starts
LEAD = 0.01  # seconds ahead a slot may be taken
PREPARE = 0.03  # seconds before that the call is committed `dialing`
LATE = 0.005  # a call starting this much after its slot moves the next one back


def spacing(calls_per_second: float) -> float:
    """Seconds between two start slots of a campaign."""
    return (1.0 + SLACK) / calls_per_second


def take_slot(
    session: Session, campaign_id: int, calls_per_second: float, wall_now: float
) -> float | None:
    """The start time of a slot taken now for this campaign, or None when the next free one
    is more than `LEAD` ahead (ask again at `next_free(...) - LEAD`)."""
    gap = spacing(calls_per_second)
    start = case(
        (Campaign.dial_next_at > wall_now, Campaign.dial_next_at),
        else_=wall_now,
    )
    taken = session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign_id,
            or_(Campaign.dial_next_at.is_(None), Campaign.dial_next_at <= wall_now + LEAD),
        )
        .values(dial_next_at=start + gap)
        .returning(Campaign.dial_next_at),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    return None if taken is None else taken - gap


def note_late_start(
    session: Session, campaign_id: int, calls_per_second: float, started: float
) -> None:
    """A call starts later than its slot (its thread was not scheduled in time): the next free
    start moves to a full gap after it, so the calls behind it cannot crowd its second."""
    following = started + spacing(calls_per_second)
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.dial_next_at < following)
        .values(dial_next_at=following),
        execution_options={"synchronize_session": False},
    )


def next_free(session: Session, campaign_id: int) -> float | None:
    """The wall-clock time of the campaign's next free slot (None: free now)."""
    return session.execute(
        select(Campaign.dial_next_at).where(Campaign.id == campaign_id)
    ).scalar_one_or_none()
