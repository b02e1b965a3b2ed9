"""Test sends: one copy of a campaign's text to a staff phone, checked and limited per person."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.campaigns.service import get_campaign
from outreach.contacts.phones import normalise_phone
from outreach.content import message_values, render_text
from outreach.errors import Forbidden, TooManyRequests, ValidationFailed
from outreach.languages import parse_language
from outreach.messaging.compose import pick_language
from outreach.models import Campaign, Direction, Message, MessageStatus, Region, User
from outreach.testphones.rules import check_test_recipient

TEST_SENDS_PER_HOUR = 20
HOUR = timedelta(hours=1)


def send_test_message(
    session: Session,
    scope: Scope,
    campaign_id: int,
    phone: str,
    language: str | None,
    now: datetime,
    *,
    real_phones: bool,
) -> Message:
    """Queue one copy of the campaign's text to a staff phone (or, on the simulator, a number).

    It is not part of the campaign's audience or stats and is sent at once (no window). The
    number must be a mobile the user may reach (`check_test_recipient`); each member of staff
    may queue TEST_SENDS_PER_HOUR of them an hour.
    """
    if scope.user_id is None:
        raise Forbidden("a test send is made by a member of staff")
    campaign = get_campaign(session, scope, campaign_id)
    regions = campaign.regions or [lst.region for lst in campaign.lists]
    if not regions:
        raise ValidationFailed("the campaign has no region or list left to send from")
    region = regions[0]
    number = normalise_phone(phone, region.country)
    language = _language(campaign, language, region)
    check_test_recipient(session, scope, number, real_phones=real_phones)
    message = _queue_within_limit(
        session, scope.user_id, _row(campaign, region, number, language, now)
    )
    record_audit(
        session, scope.user_id, "campaign.test_send", "campaign", campaign.id, message_id=message.id
    )
    return message


def _language(campaign: Campaign, asked: str | None, region: Region) -> str:
    asked = (asked or "").strip()
    language = parse_language(asked) if asked else pick_language(campaign.texts, None, region)
    if language is None:
        raise ValidationFailed(f"unknown language {asked!r}", {"field": "language"})
    if language not in campaign.texts:
        raise ValidationFailed("the campaign has no text in that language", {"field": "language"})
    return language


def _row(campaign: Campaign, region: Region, number: str, language: str, now: datetime) -> dict:
    values = message_values(region, fields=campaign.fields)
    return {
        "direction": Direction.OUTBOUND.value,
        "region_id": region.id,
        "to_phone": number,
        "language": language,
        "body": f"[TEST] {render_text(campaign.texts[language], values)}",
        "status": MessageStatus.QUEUED.value,
        "segments": 1,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _queue_within_limit(session: Session, user_id: int, row: dict) -> Message:
    """Insert the message only while the user's test sends of the last hour are under the limit.

    The count is the WHERE of the INSERT itself, over the rows every process writes; the user's
    row is locked first (PostgreSQL) so two test sends at once are counted one after the other.
    """
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    row = {**row, "sent_by_id": user_id}
    recent = (
        select(func.count())
        .select_from(Message)
        .where(
            Message.sent_by_id == user_id,
            Message.direction == Direction.OUTBOUND,
            Message.created_at > row["created_at"] - HOUR,
        )
        .scalar_subquery()
    )
    columns = Message.__table__.c
    values = select(*(literal(v, type_=columns[k].type) for k, v in row.items()))
    stmt = insert(Message).from_select(list(row), values.where(recent < TEST_SENDS_PER_HOUR))
    inserted = session.execute(stmt.returning(Message.id)).scalar_one_or_none()
    if inserted is None:
        raise TooManyRequests(
            f"at most {TEST_SENDS_PER_HOUR} test messages an hour each; try again later",
            {"limit": TEST_SENDS_PER_HOUR, "window_seconds": int(HOUR.total_seconds())},
        )
    return session.get(Message, inserted)
