"""Call starts paced per campaign across every worker: a sliding window kept in the database.

The promise (issue 9) is kept where Twilio sees it: at most `calls_per_second` calls start in
any one second, whichever workers place them. Each start a worker takes is a `CallStart` row
(the campaign's next `seq`, the wall-clock time `at` it starts). A slot is taken by one
conditional INSERT: the next `seq`, only while fewer than `limit` starts lie in the last
`window` seconds and the newest is at least `gap` before it. Two workers that decided on the
same view of the table insert the same `seq`; the key lets one in and the other asks again.

The window is a little longer than a second (`MARGIN`, the setting CALL_PACE_MARGIN_SECONDS): a
request reaches the provider a few milliseconds after the dialer's clock said it left, and not
always the same few; a request held up longer than the margin (a loaded machine, a slow
network) can still meet the next second's first starts at the provider. Starts are
spaced (`gap`) a little under the window's even share, so a start that went late (its thread
was not scheduled in time; it notes its real time, `note_start`) holds back only the start a
window after it, not every start behind it. The run costs `MARGIN` in pace, within the 5%
the issue allows.

Workers compare wall clocks: on several machines, keep them synchronised (NTP).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.models import CallStart

MARGIN = 0.035  # the window's length beyond one second (CALL_PACE_MARGIN_SECONDS)
SPREAD = 0.9  # starts are at least this share of the window's even spacing apart
LEAD = 0.15  # seconds ahead of its start a slot may be taken (and consent checked)
LATE = 0.002  # a start this much after its slot notes its real time
KEEP = 60.0  # seconds a start is kept (the window needs one; the rest helps a reader)


@dataclass(frozen=True)
class Pace:
    """At most `limit` starts in any `window` seconds, at least `gap` seconds apart."""

    limit: int
    window: float
    gap: float


def pace(calls_per_second: float, margin: float = MARGIN) -> Pace:
    """The window a campaign's calls-per-second allows: never more than that many starts in
    any second (so 2.5 a second is 2 a second; 0.5 a second is 1 every 2 seconds), `margin`
    (seconds a second) longer."""
    limit = max(1, math.floor(calls_per_second))
    window = max(1.0, limit / calls_per_second) * (1.0 + max(0.0, margin))
    return Pace(limit, window, SPREAD * window / limit)


@dataclass(frozen=True)
class Slot:
    """A start slot: the campaign's `seq`-th start, at wall-clock `at`."""

    seq: int
    at: float


def next_start(session: Session, campaign_id: int, rule: Pace, wall_now: float) -> Slot:
    """The earliest start the campaign's recent starts allow from `wall_now` (not yet taken)."""
    recent = session.execute(
        select(CallStart.seq, CallStart.at)
        .where(CallStart.campaign_id == campaign_id)
        .order_by(CallStart.seq.desc())
        .limit(2 * rule.limit)
    ).all()
    if not recent:
        return Slot(1, wall_now)
    # By time, not `seq`: a start that went late may lie after the one taken behind it.
    times = sorted((at for _seq, at in recent), reverse=True)
    start = max(wall_now, times[0] + rule.gap)
    if len(times) >= rule.limit:
        start = max(start, times[rule.limit - 1] + rule.window)
    return Slot(recent[0].seq + 1, start)


def take(session: Session, campaign_id: int, rule: Pace, slot: Slot) -> bool:
    """Take `slot` in one conditional INSERT: only if it is still the next `seq`, fewer than
    `limit` starts lie in the window before it and the newest is `gap` before it. Does not
    commit: the caller commits it with the call's `dialing`, or rolls both back."""
    recent = and_(
        CallStart.campaign_id == campaign_id, CallStart.seq > slot.seq - 1 - 2 * rule.limit
    )
    in_window = (
        select(func.count()).where(recent, CallStart.at > slot.at - rule.window).scalar_subquery()
    )
    too_close = exists().where(recent, CallStart.at > slot.at - rule.gap)
    taken_since = exists().where(CallStart.campaign_id == campaign_id, CallStart.seq >= slot.seq)
    allowed = select(literal(campaign_id), literal(slot.seq), literal(slot.at)).where(
        in_window < rule.limit, ~too_close, ~taken_since
    )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # A worker whose INSERT of the same `seq` is not yet committed is not seen by the EXISTS:
    # the key makes this one wait for it and then do nothing.
    inserted = session.execute(
        insert(CallStart)
        .from_select(["campaign_id", "seq", "at"], allowed)
        .on_conflict_do_nothing()
        .returning(CallStart.seq),
        execution_options={"synchronize_session": False},
    ).all()
    return len(inserted) == 1


def note_start(session: Session, campaign_id: int, seq: int, started: float) -> None:
    """A call left later than its slot: the window counts it from when it really left."""
    session.execute(
        update(CallStart)
        .where(CallStart.campaign_id == campaign_id, CallStart.seq == seq, CallStart.at < started)
        .values(at=started),
        execution_options={"synchronize_session": False},
    )


def forget_old(session: Session, wall_now: float) -> int:
    """Delete starts older than `KEEP` seconds, keeping each campaign's newest (its `seq`)."""
    newest = (
        select(CallStart.campaign_id, func.max(CallStart.seq).label("seq"))
        .group_by(CallStart.campaign_id)
        .subquery()
    )
    is_newest = exists().where(
        newest.c.campaign_id == CallStart.campaign_id, newest.c.seq == CallStart.seq
    )
    return session.execute(
        delete(CallStart).where(CallStart.at < wall_now - KEEP, ~is_newest),
        execution_options={"synchronize_session": False},
    ).rowcount
