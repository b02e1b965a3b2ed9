"""The sliding window of call starts: taken by one conditional INSERT, shared by every worker."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from voice_dialing import voice_campaign

from outreach.extensions import db
from outreach.models import CallStart
from outreach.voice import pacing

T = 1_800_000_000.0  # a wall-clock moment


@pytest.fixture
def campaign_id(region):
    return voice_campaign(region, calls_per_second=5).id


@pytest.fixture
def sessions(app):
    return sessionmaker(bind=db.engine, expire_on_commit=False)


def take_now(sessions, campaign_id, rule, wall):
    """Take the next start allowed from `wall` if it is due by then; its time, else None."""
    with sessions() as session:
        slot = pacing.next_start(session, campaign_id, rule, wall)
        if slot.at > wall or not pacing.take(session, campaign_id, rule, slot):
            return None
        session.commit()
        return slot.at


def starts(campaign_id) -> list[float]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(CallStart.at).where(CallStart.campaign_id == campaign_id).order_by(CallStart.seq)
        ).scalars()
    )


@pytest.mark.parametrize(
    ("rate", "limit", "window"),
    [(20, 20, 1.035), (5, 5, 1.035), (2.5, 2, 1.035), (1, 1, 1.035), (0.5, 1, 2.07)],
)
def test_the_window_never_holds_more_than_the_rate_allows_in_one_second(rate, limit, window):
    rule = pacing.pace(rate)
    assert (rule.limit, rule.window) == (limit, pytest.approx(window))
    assert rule.limit <= max(1, rate) and rule.window > 1.0
    assert rule.gap == pytest.approx(pacing.SPREAD * rule.window / rule.limit)


def test_a_sixth_start_waits_a_window_after_the_first(sessions, campaign_id):
    rule = pacing.pace(5)
    taken = []
    wall = T
    while len(taken) < 11:
        at = take_now(sessions, campaign_id, rule, wall)
        if at is not None:
            taken.append(at)
        wall += 0.001
    assert taken == starts(campaign_id)
    assert all(b - a >= rule.gap - 1e-9 for a, b in zip(taken, taken[1:], strict=False))
    assert all(taken[i + 5] - taken[i] >= rule.window - 1e-9 for i in range(len(taken) - 5))
    assert taken[5] - taken[0] == pytest.approx(rule.window, abs=0.002)  # and not later


def test_two_workers_deciding_on_the_same_view_get_one_slot(sessions, campaign_id):
    rule = pacing.pace(5)
    with sessions() as first, sessions() as second:
        mine = pacing.next_start(first, campaign_id, rule, T)
        theirs = pacing.next_start(second, campaign_id, rule, T)
        assert mine == theirs
        assert pacing.take(first, campaign_id, rule, mine)
        first.commit()
        assert not pacing.take(second, campaign_id, rule, theirs)
        second.rollback()
    assert starts(campaign_id) == [T]


def test_the_insert_itself_refuses_a_start_the_window_is_full_for(sessions, campaign_id):
    """A reader that computed its slot from a stale view is refused by the INSERT's guard."""
    rule = pacing.pace(1)
    with sessions() as session:
        stale = pacing.next_start(session, campaign_id, rule, T)
        assert pacing.take(session, campaign_id, rule, stale)
        session.commit()
        too_soon = pacing.Slot(stale.seq + 1, T + rule.window - 0.01)
        assert not pacing.take(session, campaign_id, rule, too_soon)
        on_time = pacing.Slot(stale.seq + 1, T + rule.window)
        assert pacing.take(session, campaign_id, rule, on_time)
        session.commit()
    assert starts(campaign_id) == [T, T + rule.window]


def test_a_late_start_holds_back_the_start_a_window_after_it(sessions, campaign_id):
    rule = pacing.pace(1)
    assert take_now(sessions, campaign_id, rule, T) == T
    with sessions() as session:
        pacing.note_start(session, campaign_id, 1, T + 0.2)  # it left 200 ms after its slot
        session.commit()
        assert pacing.next_start(session, campaign_id, rule, T).at == T + 0.2 + rule.window


def test_old_starts_are_forgotten_but_the_newest_keeps_the_count(sessions, campaign_id):
    rule = pacing.pace(5)
    wall = T
    while len(starts(campaign_id)) < 3:
        take_now(sessions, campaign_id, rule, wall)
        wall += 0.01
    with sessions() as session:
        assert pacing.forget_old(session, wall + pacing.KEEP + 1) == 2
        session.commit()
        assert pacing.next_start(session, campaign_id, rule, wall + 100).seq == 4


def test_the_next_start_keeps_its_gap_from_a_late_start_taken_before_it(sessions, campaign_id):
    rule = pacing.pace(5)
    assert take_now(sessions, campaign_id, rule, T) == T
    assert take_now(sessions, campaign_id, rule, T + rule.gap) == T + rule.gap
    with sessions() as session:
        pacing.note_start(session, campaign_id, 1, T + rule.gap + 0.05)  # left after the second
        session.commit()
        slot = pacing.next_start(session, campaign_id, rule, T + rule.gap)
        assert slot.at == T + 2 * rule.gap + 0.05
        assert pacing.take(session, campaign_id, rule, slot)  # what it offers, it may take
        session.commit()
