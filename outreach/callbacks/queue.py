"""The queue as counsellors read it: requests in order of when they are due, as items.

An item is what a list or a request page shows of a request, already cut to the reader: the
number masked unless `outreach.contacts.privacy` lets them read it (they hold the claim, or
they manage contacts); notes only for counsellors and
admins (a coordinator sees that a note exists). A claim past its expiry reads as open.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.callbacks.hours import WorkingHours, working_minutes
from outreach.contacts.phones import mask_phone
from outreach.contacts.privacy import holds_claim_on, may_read_queue_number
from outreach.models import (
    CallbackAttempt,
    CallbackRequest,
    CallbackRequestSource,
    CallbackStatus,
    Campaign,
    Contact,
    Region,
    Role,
    User,
)
from outreach.models.callback import OPEN_STATUSES
from outreach.pagination import Page, paginate


@dataclass(frozen=True)
class QueueFilters:
    """What the queue may be narrowed by; no status means the open and claimed requests."""

    region_code: str | None = None
    status: str | None = None
    language: str | None = None
    channel: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class SourceItem:
    channel: str
    campaign_id: int | None
    at: datetime
    by: str | None
    note: str | None
    has_note: bool


@dataclass(frozen=True)
class AttemptItem:
    outcome: str
    note: str | None
    has_note: bool
    topics: list[str]
    call_at: datetime | None
    at: datetime
    by: str | None


@dataclass
class QueueItem:
    """A request as the reader may see it."""

    id: int
    contact_id: int
    region: str
    region_name: str
    timezone: str
    language: str
    status: str
    phone: str
    phone_in_full: bool
    created_at: datetime
    due_at: datetime
    claimed_by: str | None
    claimed_by_id: int | None
    claim_expires_at: datetime | None
    waiting_working_minutes: int
    overdue: bool
    outcome: str | None
    sources: list[SourceItem] = field(default_factory=list)
    attempts: list[AttemptItem] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    held_by_reader: bool = False  # their own live claim, not merely a number they may read


def status_now(request: CallbackRequest, now: datetime) -> CallbackStatus:
    """The status as read now: a claim past its expiry is open again."""
    expires = request.claim_expires_at
    if request.status == CallbackStatus.CLAIMED and (expires is None or expires <= now):
        return CallbackStatus.OPEN
    return CallbackStatus(request.status)


def list_requests(
    session: Session, scope: Scope, filters: QueueFilters, page: int, per_page: int, now: datetime
) -> Page:
    """One page of requests (items), the soonest due first."""
    stmt = _narrow(scope.apply(select(CallbackRequest), CallbackRequest.region_id), filters, now)
    found = paginate(
        session, stmt.order_by(CallbackRequest.due_at, CallbackRequest.id), page, per_page
    )
    return replace(found, items=build_items(session, scope, found.items, now))


def _narrow(stmt, filters: QueueFilters, now: datetime):
    status = CallbackRequest.status
    live_claim = and_(status == CallbackStatus.CLAIMED, CallbackRequest.claim_expires_at > now)
    if not filters.status:
        stmt = stmt.where(status.in_(OPEN_STATUSES))
    elif filters.status == CallbackStatus.OPEN:
        expires = CallbackRequest.claim_expires_at
        expired = and_(status == CallbackStatus.CLAIMED, or_(expires.is_(None), expires <= now))
        stmt = stmt.where(or_(status == CallbackStatus.OPEN, expired))
    elif filters.status == CallbackStatus.CLAIMED:
        stmt = stmt.where(live_claim)
    else:
        stmt = stmt.where(status == filters.status)
    if filters.region_code:
        region = select(Region.id).where(Region.code == filters.region_code).scalar_subquery()
        stmt = stmt.where(CallbackRequest.region_id == region)
    if filters.language:
        stmt = stmt.join(Contact, Contact.id == CallbackRequest.contact_id).where(
            Contact.language == filters.language
        )
    if filters.channel or filters.topic:
        source = select(CallbackRequestSource.id).where(
            CallbackRequestSource.request_id == CallbackRequest.id
        )
        if filters.channel:
            source = source.where(CallbackRequestSource.channel == filters.channel)
        if filters.topic:
            source = source.join(Campaign, Campaign.id == CallbackRequestSource.campaign_id).where(
                Campaign.topic == filters.topic
            )
        stmt = stmt.where(source.exists())
    return stmt


def build_items(
    session: Session, scope: Scope, requests: list[CallbackRequest], now: datetime
) -> list[QueueItem]:
    """The requests as items for this reader, with their sources and attempts (few queries)."""
    if not requests:
        return []
    ids = [r.id for r in requests]
    contacts = _by_id(session, Contact, {r.contact_id for r in requests})
    regions = _by_id(session, Region, {r.region_id for r in requests})
    sources = _children(session, CallbackRequestSource, ids, CallbackRequestSource.at)
    attempts = _children(session, CallbackAttempt, ids, CallbackAttempt.at)
    topics = _campaign_topics(session, [s for rows in sources.values() for s in rows])
    emails = _emails(session, requests, sources, attempts)
    items = []
    for request in requests:
        item = _item(scope, request, contacts[request.contact_id], regions[request.region_id], now)
        item.claimed_by = emails.get(request.claimed_by_id) if item.claimed_by_id else None
        item.sources = [_source(scope, s, emails) for s in sources[request.id]]
        item.attempts = [_attempt(scope, a, emails) for a in attempts[request.id]]
        item.topics = sorted(
            {topics[s.campaign_id] for s in sources[request.id] if s.campaign_id in topics}
        )
        items.append(item)
    return items


def _item(scope: Scope, request, contact: Contact, region: Region, now: datetime) -> QueueItem:
    status = status_now(request, now)
    holder = request.claimed_by_id if status == CallbackStatus.CLAIMED else None
    full = may_read_queue_number(scope, holder)
    hours = WorkingHours.of(region.counsellor_hours, region.timezone)
    waited = working_minutes(hours, request.created_at, request.completed_at or now)
    return QueueItem(
        id=request.id,
        contact_id=request.contact_id,
        region=region.code,
        region_name=region.name,
        timezone=region.timezone,
        language=contact.language,
        status=status.value,
        phone=contact.phone if full else mask_phone(contact.phone),
        phone_in_full=full,
        created_at=request.created_at,
        due_at=request.due_at,
        claimed_by=None,
        claimed_by_id=holder,
        claim_expires_at=request.claim_expires_at if holder else None,
        waiting_working_minutes=waited,
        overdue=status in OPEN_STATUSES and waited > region.callback_target_hours * 60,
        outcome=request.outcome,
        held_by_reader=holds_claim_on(scope, holder),
    )


def may_read_notes(scope: Scope) -> bool:
    """Notes may hold health information: counsellors and admins (of the region) only."""
    return scope.role in (None, Role.ADMIN, Role.COUNSELLOR)


def _source(scope: Scope, source: CallbackRequestSource, emails: dict) -> SourceItem:
    readable = may_read_notes(scope)
    return SourceItem(
        channel=source.channel,
        campaign_id=source.campaign_id,
        at=source.at,
        by=emails.get(source.user_id),
        note=source.note if readable else None,
        has_note=bool(source.note),
    )


def _attempt(scope: Scope, attempt: CallbackAttempt, emails: dict) -> AttemptItem:
    readable = may_read_notes(scope)
    return AttemptItem(
        outcome=str(attempt.outcome),
        note=attempt.note if readable else None,
        has_note=bool(attempt.note),
        topics=list(attempt.topics or []) if readable else [],
        call_at=attempt.call_at,
        at=attempt.at,
        by=emails.get(attempt.user_id),
    )


def _by_id(session: Session, model, ids: set[int]) -> dict:
    return {
        row.id: row for row in session.execute(select(model).where(model.id.in_(ids))).scalars()
    }


def _children(session: Session, model, request_ids: list[int], order) -> dict[int, list]:
    found: dict[int, list] = defaultdict(list)
    rows = session.execute(
        select(model).where(model.request_id.in_(request_ids)).order_by(order, model.id)
    ).scalars()
    for row in rows:
        found[row.request_id].append(row)
    return found


def _campaign_topics(session: Session, sources: list) -> dict[int, str]:
    ids = {s.campaign_id for s in sources if s.campaign_id is not None}
    if not ids:
        return {}
    return dict(
        session.execute(select(Campaign.id, Campaign.topic).where(Campaign.id.in_(ids))).all()
    )


def _emails(session: Session, requests, sources: dict, attempts: dict) -> dict[int, str]:
    wanted = {r.claimed_by_id for r in requests}
    wanted |= {s.user_id for rows in sources.values() for s in rows}
    wanted |= {a.user_id for rows in attempts.values() for a in rows}
    wanted.discard(None)
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.email).where(User.id.in_(wanted))).all())
