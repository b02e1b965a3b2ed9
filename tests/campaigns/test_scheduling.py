"""Campaign times: fired once, restart-safe, missed when too late, recurring without repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from support import MORNING, run_until_idle

from outreach.campaigns.fanout import fan_out
from outreach.campaigns.scheduling import (
    GRACE,
    close_finished_runs,
    fire_due_campaigns,
    next_occurrence,
)
from outreach.extensions import db
from outreach.models import Campaign, CampaignRun, CampaignStatus, Message, RunStatus


def _messages(campaign_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(Message).where(Message.campaign_id == campaign_id)
    ).scalar_one()


def test_a_campaign_fires_once_however_often_the_scheduler_ticks(app, make_contact, make_campaign):
    make_contact()
    campaign = make_campaign(status=CampaignStatus.SCHEDULED)
    assert fire_due_campaigns(db.session, MORNING - timedelta(seconds=1)) == []
    assert len(fire_due_campaigns(db.session, MORNING)) == 1
    db.session.commit()
    for later in (1, 5, 60):
        assert fire_due_campaigns(db.session, MORNING + timedelta(seconds=later)) == []
    assert _messages(campaign.id) == 1
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.RUNNING


def test_a_fan_out_cut_short_by_a_crash_is_redone_without_duplicates(
    app, make_contact, make_campaign
):
    for _ in range(3):
        make_contact()
    campaign = make_campaign()
    fire_due_campaigns(db.session, MORNING)
    db.session.rollback()  # the worker died before the commit: nothing of it remains
    assert _messages(campaign.id) == 0
    fire_due_campaigns(db.session, MORNING + timedelta(seconds=3))
    db.session.commit()
    run = db.session.execute(select(CampaignRun)).scalar_one()
    assert fan_out(db.session, campaign, run, MORNING) == 0  # repeating it adds nothing
    assert _messages(campaign.id) == 3


def test_a_launch_missed_by_more_than_the_grace_period_is_marked_missed(
    app, make_contact, make_campaign
):
    make_contact()
    campaign = make_campaign(status=CampaignStatus.SCHEDULED)
    days_later = MORNING + GRACE + timedelta(days=2)
    assert fire_due_campaigns(db.session, days_later) == []
    db.session.commit()
    campaign = db.session.get(Campaign, campaign.id)
    run = db.session.execute(select(CampaignRun)).scalar_one()
    assert (campaign.status, run.status) == (CampaignStatus.MISSED, RunStatus.MISSED)
    assert _messages(campaign.id) == 0


def test_a_launch_within_the_grace_period_still_goes(app, make_contact, make_campaign):
    make_contact()
    campaign = make_campaign(status=CampaignStatus.SCHEDULED)
    assert len(fire_due_campaigns(db.session, MORNING + GRACE - timedelta(seconds=1))) == 1
    assert _messages(campaign.id) == 1


def test_recurring_campaign_skips_who_got_it_within_the_period(
    app, make_contact, make_campaign, dispatcher
):
    make_contact()
    campaign = make_campaign(recurrence="weekly")
    fire_due_campaigns(db.session, MORNING)
    db.session.commit()
    run_until_idle(dispatcher)
    close_finished_runs(db.session, MORNING)
    db.session.commit()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.next_run_at == MORNING + timedelta(days=7)

    newcomer = make_contact()
    # Fired again early (an admin moved it forward): the first contact got it days ago.
    campaign.next_run_at = MORNING + timedelta(days=3)
    db.session.commit()
    fire_due_campaigns(db.session, MORNING + timedelta(days=3))
    db.session.commit()
    runs = db.session.execute(select(CampaignRun).order_by(CampaignRun.id)).scalars().all()
    assert len(runs) == 2
    second_run = db.session.execute(select(Message.contact_id).where(Message.run_id == runs[1].id))
    assert second_run.scalars().all() == [newcomer.id]
    assert _messages(campaign.id) == 2


def test_monthly_recurrence_keeps_the_day_or_the_months_last():
    assert next_occurrence(datetime(2026, 1, 31, 5, tzinfo=UTC), "monthly") == datetime(
        2026, 2, 28, 5, tzinfo=UTC
    )
    assert next_occurrence(datetime(2026, 12, 15, 5, tzinfo=UTC), "monthly") == datetime(
        2027, 1, 15, 5, tzinfo=UTC
    )
    assert next_occurrence(MORNING, None) is None
