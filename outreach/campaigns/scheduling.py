"""Firing campaigns at their time and closing runs whose messages are all out.

The campaign table is the source of truth: `next_run_at` says when a campaign fires next. The
worker's scheduler calls `fire_due_campaigns` every few seconds, so a restart (or a worker that
was down at the time) neither loses nor repeats a launch; one missed by longer than the grace
period is recorded as a missed run and shown, not fired days later.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from outreach.campaigns.fanout import fan_out
from outreach.campaigns.lifecycle import CampaignEvent, apply_event
from outreach.models import (
    Call,
    CallStatus,
    Campaign,
    CampaignRun,
    CampaignStatus,
    Message,
    MessageStatus,
    Recurrence,
    RunStatus,
)

GRACE = timedelta(minutes=30)
_OPEN = (MessageStatus.QUEUED, MessageStatus.HELD, MessageStatus.SENDING)
# A call is open until it ends: a retry to come, or a call still ringing or under way.
_OPEN_CALLS = (
    CallStatus.QUEUED,
    CallStatus.HELD,
    CallStatus.RETRY_PENDING,
    CallStatus.DIALING,
    CallStatus.INITIATED,
    CallStatus.RINGING,
    CallStatus.IN_PROGRESS,
)
_UNPLACED_CALLS = (CallStatus.QUEUED, CallStatus.HELD, CallStatus.RETRY_PENDING)


def next_occurrence(after: datetime, recurrence: str | None) -> datetime | None:
    """The next time a recurring campaign fires after `after` (None when it does not recur)."""
    if not recurrence:
        return None
    if recurrence == Recurrence.DAILY:
        return after + timedelta(days=1)
    if recurrence == Recurrence.WEEKLY:
        return after + timedelta(days=7)
    year, month = divmod(after.month, 12)
    year, month = after.year + year, month + 1
    day = min(after.day, calendar.monthrange(year, month)[1])
    return after.replace(year=year, month=month, day=day)


def fire_due_campaigns(session: Session, now: datetime, grace: timedelta = GRACE) -> list[int]:
    """Fire (or mark missed) every campaign whose time has come; the ids of runs created."""
    due = (
        select(Campaign)
        .where(
            Campaign.status.in_((CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)),
            Campaign.next_run_at <= now,
        )
        .order_by(Campaign.next_run_at)
        .limit(20)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    runs = []
    for campaign in session.execute(due).scalars():
        run = fire_campaign(session, campaign, now, grace)
        if run is not None:
            runs.append(run.id)
    return runs


def fire_campaign(
    session: Session, campaign: Campaign, now: datetime, grace: timedelta = GRACE
) -> CampaignRun | None:
    """Create the due run and fan it out, or record it missed when the grace period is past."""
    scheduled_for = campaign.next_run_at
    late = now - scheduled_for > grace
    run = CampaignRun(
        campaign_id=campaign.id,
        scheduled_for=scheduled_for,
        status=RunStatus.MISSED if late else RunStatus.SENDING,
        started_at=now,
    )
    session.add(run)
    session.flush()
    campaign.next_run_at = _following(scheduled_for, campaign.recurrence, now)
    if late:
        if campaign.next_run_at is None:
            apply_event(campaign, CampaignEvent.MISS, now)
        run.finished_at = now
        return None
    fan_out(session, campaign, run, now)
    run.fanned_out_at = now
    apply_event(campaign, CampaignEvent.FIRE, now)
    return run


def _following(scheduled_for: datetime, recurrence: str | None, now: datetime):
    """The next occurrence after this one that is not already in the past."""
    following = next_occurrence(scheduled_for, recurrence)
    while following is not None and following <= now:
        following = next_occurrence(following, recurrence)
    return following


def close_finished_runs(session: Session, now: datetime) -> int:
    """Mark runs with nothing left to send done, and finish campaigns with no run to come."""
    pending = exists().where(Message.run_id == CampaignRun.id, Message.status.in_(_OPEN))
    calling = exists().where(Call.run_id == CampaignRun.id, Call.status.in_(_OPEN_CALLS))
    runs = list(
        session.execute(
            select(CampaignRun).where(CampaignRun.status == RunStatus.SENDING, ~pending, ~calling)
        ).scalars()
    )
    for run in runs:
        run.status = RunStatus.DONE
        run.finished_at = now
        campaign = session.get(Campaign, run.campaign_id)
        if campaign.status == CampaignStatus.RUNNING:
            event = CampaignEvent.WAIT_NEXT if campaign.next_run_at else CampaignEvent.FINISH
            apply_event(campaign, event, now)
    return len(runs)


def cancel_pending_messages(session: Session, campaign: Campaign, now: datetime) -> int:
    """A cancelled campaign's unsent messages become failed (`cancelled`) and its unplaced calls
    canceled; none goes out. Returns how many messages were stopped."""
    result = session.execute(
        update(Message)
        .where(
            Message.campaign_id == campaign.id,
            Message.status.in_((MessageStatus.QUEUED, MessageStatus.HELD)),
        )
        .values(
            status=MessageStatus.FAILED,
            error_code="cancelled",
            error_message="the campaign was cancelled before this message was sent",
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(Call)
        .where(Call.campaign_id == campaign.id, Call.status.in_(_UNPLACED_CALLS))
        .values(
            status=CallStatus.CANCELED,
            claimed_by=None,
            error_code="cancelled",
            error_message="the campaign was cancelled before this call was placed",
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(CampaignRun)
        .where(CampaignRun.campaign_id == campaign.id, CampaignRun.status == RunStatus.SENDING)
        .values(status=RunStatus.CANCELLED, finished_at=now)
    )
    return result.rowcount
