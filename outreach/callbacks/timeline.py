"""A request's page: the item, and the person's story in one timeline, newest first.

Consent events, messages out and in, calls and key presses, earlier requests, this request's
sources and attempts (notes only for those who may read them). Every view is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.callbacks.claims import get_request
from outreach.callbacks.queue import QueueItem, build_items
from outreach.callbacks.scheduling import person_zone
from outreach.models import (
    Call,
    CallbackRequest,
    ConsentEvent,
    Contact,
    Message,
    Response,
)

MAX_ROWS = 200  # of each kind: a busy person's page stays readable and quick


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime
    kind: str  # consent | sms_out | sms_in | call | key | request | source | attempt
    title: str
    detail: str = ""
    by: str | None = None


def view_request(
    session: Session, scope: Scope, request_id: int, now: datetime, channel: str
) -> QueueItem:
    """A request as the reader may see it; the view is audited."""
    request = get_request(session, scope, request_id)
    [item] = build_items(session, scope, [request], now)
    record_audit(
        session,
        scope.user_id,
        "callback.view",
        "callback",
        request.id,
        contact_id=request.contact_id,
        channel=channel,
        phone_in_full=item.phone_in_full,
    )
    return item


def timeline(session: Session, item: QueueItem) -> list[Entry]:
    """The person's story for the request page, newest first."""
    contact = session.get(Contact, item.contact_id)
    zones = (person_zone(contact.phone, contact.region), ZoneInfo(item.timezone))
    entries = [
        *_consent(session, contact),
        *_messages(session, contact),
        *_calls(session, contact),
        *_keys(session, contact),
        *_requests(session, contact, item.id),
        *(_source(s) for s in item.sources),
        *(_attempt(a, zones) for a in item.attempts),
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)


def _recent(session: Session, stmt, column):
    return session.execute(stmt.order_by(column.desc()).limit(MAX_ROWS)).scalars()


def _consent(session, contact):
    stmt = select(ConsentEvent).where(ConsentEvent.contact_id == contact.id)
    for event in _recent(session, stmt, ConsentEvent.at):
        action = "Opted in" if event.action == "opt_in" else "Opted out"
        yield Entry(event.at, "consent", f"{action} ({event.channel})", event.source or "")


def _messages(session, contact):
    stmt = select(Message).where(Message.contact_id == contact.id)
    for message in _recent(session, stmt, Message.created_at):
        inbound = message.direction == "inbound"
        title = "SMS from the person" if inbound else f"SMS to the person ({message.status})"
        yield Entry(
            message.created_at, "sms_in" if inbound else "sms_out", title, message.body or ""
        )


def _calls(session, contact):
    stmt = select(Call).where(Call.contact_id == contact.id)
    for call in _recent(session, stmt, Call.created_at):
        seconds = f", {call.duration_seconds} s" if call.duration_seconds else ""
        yield Entry(
            call.created_at, "call", f"{call.direction.capitalize()} call ({call.status}{seconds})"
        )


def _keys(session, contact):
    stmt = select(Response).where(Response.contact_id == contact.id, Response.channel == "ivr")
    for response in _recent(session, stmt, Response.at):
        where = f" at {response.menu_node}" if response.menu_node else ""
        yield Entry(response.at, "key", f"Pressed {response.text}{where}", str(response.kind))


def _requests(session, contact, current_id: int):
    stmt = select(CallbackRequest).where(
        CallbackRequest.contact_id == contact.id, CallbackRequest.id != current_id
    )
    for request in _recent(session, stmt, CallbackRequest.created_at):
        outcome = f", {request.outcome}" if request.outcome else ""
        yield Entry(
            request.created_at, "request", f"Earlier call-back request ({request.status}{outcome})"
        )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M ") + str(zone)


def _source(source) -> Entry:
    detail = source.note or ("(a note, not shown to your role)" if source.has_note else "")
    return Entry(
        source.at, "source", f"Asked for a call-back ({source.channel})", detail, source.by
    )


def _attempt(attempt, zones: tuple[ZoneInfo, ZoneInfo]) -> Entry:
    detail = attempt.note or ("(a note, not shown to your role)" if attempt.has_note else "")
    if attempt.topics:
        detail = f"{detail} [{', '.join(attempt.topics)}]".strip()
    if attempt.call_at is not None:
        person, mrc = (_local(attempt.call_at, zone) for zone in zones)
        detail = f"{detail} Call at {person} the person's time ({mrc} MRC time).".strip()
    return Entry(attempt.at, "attempt", f"Call attempt: {attempt.outcome}", detail, attempt.by)
