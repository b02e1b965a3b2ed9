"""The call-back queue through the API: list, read, claim, release, record attempts, ask."""

from __future__ import annotations

from flask import current_app

from outreach.callbacks.attempts import AttemptInput, record_attempt
from outreach.callbacks.claims import claim_request, reassign_request, release_request
from outreach.callbacks.queue import QueueFilters, QueueItem, build_items, list_requests
from outreach.callbacks.service import request_for_contact
from outreach.callbacks.timeline import view_request
from outreach.extensions import db
from outreach.models import AttemptOutcome, utcnow
from outreach.permissions import Action
from outreach.web.api import current_scope, registry
from outreach.web.api.schemas.callbacks import (
    AttemptIn,
    CallbackAttemptOut,
    CallbackItem,
    CallbackPage,
    CallbackQuery,
    CallbackSourceOut,
    ReassignIn,
    StaffRequestIn,
)

CALLBACK = "/callbacks/<int:callback_id>"


def callback_out(item: QueueItem) -> CallbackItem:
    """A request as the API shows it."""
    return CallbackItem(
        id=item.id,
        contact_id=item.contact_id,
        region=item.region,
        language=item.language,
        status=item.status,
        phone=item.phone,
        sources=[
            CallbackSourceOut(channel=s.channel, campaign_id=s.campaign_id, at=s.at)
            for s in item.sources
        ],
        attempts=[
            CallbackAttemptOut(
                outcome=a.outcome,
                note=a.note,
                has_note=a.has_note,
                topics=a.topics,
                call_at=a.call_at,
                at=a.at,
                by=a.by,
            )
            for a in item.attempts
        ],
        created_at=item.created_at,
        due_at=item.due_at,
        claimed_by=item.claimed_by,
        claim_expires_at=item.claim_expires_at,
        waiting_working_minutes=item.waiting_working_minutes,
        overdue=item.overdue,
    )


def _claim_minutes() -> int:
    return current_app.config.get("CALLBACK_CLAIM_MINUTES", 30)


def _item(request, now) -> CallbackItem:
    [item] = build_items(db.session, current_scope(), [request], now)
    return callback_out(item)


@registry.route(
    "GET",
    "/callbacks",
    query=CallbackQuery,
    responses={200: CallbackPage},
    tag="callbacks",
    action=Action.CALLBACKS_READ,
)
def get_callbacks(query: CallbackQuery):
    """The queue: requests of the user's regions, the soonest due first."""
    filters = QueueFilters(region_code=query.region, status=query.status)
    found = list_requests(
        db.session, current_scope(), filters, query.page, query.per_page, utcnow()
    )
    items = [callback_out(item) for item in found.items]
    return CallbackPage(items=items, total=found.total, page=found.page), 200


@registry.route(
    "GET", CALLBACK, responses={200: CallbackItem}, tag="callbacks", action=Action.CALLBACKS_READ
)
def get_callback(callback_id: int):
    """One request (the full number for the claim's holder and admins); the view is audited."""
    item = view_request(db.session, current_scope(), callback_id, utcnow(), channel="api")
    db.session.commit()
    return callback_out(item), 200


@registry.route(
    "POST",
    CALLBACK + "/claim",
    responses={200: CallbackItem},
    tag="callbacks",
    action=Action.CALLBACKS_WORK,
)
def post_claim(callback_id: int):
    """Claim a request before calling; 409 `claimed` with `details.by` when someone holds it."""
    now = utcnow()
    request = claim_request(db.session, current_scope(), callback_id, now, _claim_minutes())
    db.session.commit()
    return _item(request, now), 200


@registry.route(
    "POST",
    CALLBACK + "/release",
    responses={200: CallbackItem},
    tag="callbacks",
    action=Action.CALLBACKS_WORK,
)
def post_release(callback_id: int):
    """Give a claimed request back to the queue."""
    now = utcnow()
    request = release_request(db.session, current_scope(), callback_id, now)
    db.session.commit()
    return _item(request, now), 200


@registry.route(
    "POST",
    CALLBACK + "/attempts",
    body=AttemptIn,
    responses={201: CallbackItem},
    tag="callbacks",
    action=Action.CALLBACKS_WORK,
)
def post_attempt(callback_id: int, body: AttemptIn):
    """Record a call attempt (only the claim's holder; 409 otherwise); it ends the claim."""
    now = utcnow()
    attempt = AttemptInput(
        outcome=AttemptOutcome(body.outcome),
        note=body.note or None,
        topics=tuple(body.topics),
        call_at=body.call_at,
    )
    request = record_attempt(db.session, current_scope(), callback_id, attempt, now)
    db.session.commit()
    return _item(request, now), 201


@registry.route(
    "POST",
    CALLBACK + "/reassign",
    body=ReassignIn,
    responses={200: CallbackItem},
    tag="callbacks",
    action=Action.CALLBACKS_REASSIGN,
)
def post_reassign(callback_id: int, body: ReassignIn):
    """Hand a request to a counsellor of its region (admins)."""
    now = utcnow()
    request = reassign_request(
        db.session, current_scope(), callback_id, body.user_id, now, _claim_minutes()
    )
    db.session.commit()
    return _item(request, now), 200


@registry.route(
    "POST",
    "/contacts/<int:contact_id>/callbacks",
    body=StaffRequestIn,
    responses={201: CallbackItem},
    tag="callbacks",
    action=Action.CALLBACKS_REQUEST,
)
def post_contact_callback(contact_id: int, body: StaffRequestIn):
    """Ask for a call-back on the person's behalf (a staff source; an open request gains it)."""
    now = utcnow()
    requested = request_for_contact(db.session, current_scope(), contact_id, body.note, now)
    db.session.commit()
    return _item(requested.request, now), 201
