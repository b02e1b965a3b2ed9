"""Contacts through the API: upsert one or many, search, one with its history, opt out or in."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from outreach.contacts.batch import ContactItem, ItemResult, upsert_contact_items
from outreach.contacts.history import (
    callbacks_of,
    calls_of,
    consent_history_with_staff,
    responses_of,
)
from outreach.contacts.privacy import shown_phones
from outreach.contacts.service import ContactFilters, change_consent, search_contacts, view_contact
from outreach.errors import ServiceError, ValidationFailed
from outreach.extensions import db
from outreach.models import ConsentAction, ConsentChannel, Contact, utcnow
from outreach.permissions import Action
from outreach.web.api import current_scope, registry
from outreach.web.api.io import validation_details
from outreach.web.api.schemas.common import MAX_BATCH, ErrorDetail, ErrorOut
from outreach.web.api.schemas.contacts import (
    CallbackOut,
    CallOut,
    ConsentEventOut,
    ContactBatchOut,
    ContactDetail,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactQuery,
    ContactsIn,
    OptInIn,
    OptOutIn,
    ResponseOut,
)

CONTACT = "/contacts/<int:contact_id>"
_contact_in = TypeAdapter(ContactIn)


def contact_out(contact: Contact, phone: str) -> ContactOut:
    """A contact as the API shows it, with its number as the caller may see it."""
    return ContactOut(
        id=contact.id,
        phone=phone,
        region=contact.region.code,
        language=contact.language,
        name=contact.name,
        consent=str(contact.consent),
    )


def _shown(contacts: list[Contact]) -> dict[int, str]:
    return shown_phones(db.session, current_scope(), contacts, utcnow())


def _out(contact: Contact) -> ContactOut:
    return contact_out(contact, _shown([contact])[contact.id])


def error_out(exc: ServiceError) -> ErrorOut:
    """A service error in the API's error shape."""
    return ErrorOut(error=ErrorDetail(code=exc.code, message=exc.message, details=exc.details))


@registry.route(
    "POST",
    "/contacts",
    body=ContactsIn,
    validate_body=False,  # each item is validated alone, so one bad item fails only itself
    responses={200: ContactOut | ContactBatchOut, 201: ContactOut},
    tag="contacts",
    action=Action.CONTACTS_WRITE,
)
def post_contacts(body: Any):
    """Create or update one contact (201 or 200), or up to 1,000 (200, one result per item)."""
    if isinstance(body, list):
        return _upsert_many(body)
    if isinstance(body, dict):
        return _upsert_one(body)
    raise ValidationFailed(
        "the body must be a contact object or a list of them",
        [{"field": "", "message": "expected an object or an array", "type": "body_type"}],
    )


def _upsert_one(raw: dict):
    [result] = _upsert([_item(raw)])
    if result.error is not None:
        raise result.error
    db.session.commit()
    return _out(result.contact), 201 if result.created else 200


def _upsert_many(raw: list):
    if len(raw) > MAX_BATCH:
        raise ValidationFailed(
            f"at most {MAX_BATCH} contacts per request",
            [{"field": "", "message": f"{len(raw)} items", "type": "too_long"}],
            code="too_many_items",
        )
    results = _upsert([_item(element) for element in raw])
    db.session.commit()
    phones = _shown([r.contact for r in results if r.error is None])
    items = [
        error_out(r.error) if r.error is not None else contact_out(r.contact, phones[r.contact.id])
        for r in results
    ]
    return ContactBatchOut(items=items), 200


def _upsert(items: list[ContactItem | ServiceError]) -> list[ItemResult]:
    return upsert_contact_items(
        db.session, current_scope(), items, ConsentChannel.API, now=utcnow()
    )


def _item(raw: Any) -> ContactItem | ServiceError:
    """One element of the body as a service input, or its validation error."""
    try:
        data = _contact_in.validate_python(raw)
    except ValidationError as exc:
        return ValidationFailed("the contact is not valid", validation_details(exc))
    return ContactItem(
        phone=data.phone,
        region=data.region,
        language=data.language,
        name=data.name,
        consent_source=data.consent.source,
        consent_at=data.consent.at,
    )


@registry.route(
    "GET",
    "/contacts",
    query=ContactQuery,
    responses={200: ContactPage},
    tag="contacts",
    action=Action.CONTACTS_READ,
)
def get_contacts(query: ContactQuery):
    """Contacts the user may see, newest first, filtered and paginated."""
    filters = ContactFilters(
        region_code=query.region, consent=query.consent, list_id=query.list, phone=query.phone
    )
    page = search_contacts(db.session, current_scope(), filters, query.page, query.per_page)
    phones = _shown(page.items)
    return ContactPage(
        items=[contact_out(c, phones[c.id]) for c in page.items], total=page.total, page=page.page
    ), 200


@registry.route(
    "GET", CONTACT, responses={200: ContactDetail}, tag="contacts", action=Action.CONTACTS_READ
)
def get_contact(contact_id: int):
    """One contact with its consent history, answers and call-backs (the view is audited)."""
    contact = view_contact(db.session, current_scope(), contact_id, channel="api")
    events = [
        ConsentEventOut(
            action=str(event.action),
            channel=str(event.channel),
            source=event.source,
            at=event.at,
            user=email,
        )
        for event, email in consent_history_with_staff(db.session, contact)
    ]
    detail = ContactDetail(
        **_out(contact).model_dump(),
        consent_events=events,
        responses=[_response_out(r) for r in responses_of(db.session, contact)],
        callbacks=[_callback_out(c) for c in callbacks_of(db.session, contact)],
        calls=[_call_out(c) for c in calls_of(db.session, contact)],
    )
    db.session.commit()
    return detail, 200


def _response_out(response) -> ResponseOut:
    return ResponseOut(
        campaign_id=response.campaign_id,
        channel=response.channel,
        kind=str(response.kind),
        option=response.option,
        text=response.text,
        node=response.menu_node if response.channel == "ivr" else None,
        at=response.at,
    )


def _call_out(call) -> CallOut:
    return CallOut(
        id=call.id,
        campaign_id=call.campaign_id,
        direction=call.direction,
        status=str(call.status),
        attempts=call.attempts,
        answered_by=call.answered_by,
        duration_seconds=call.duration_seconds,
        created_at=call.created_at,
    )


def _callback_out(callback) -> CallbackOut:
    return CallbackOut(
        id=callback.id,
        status=str(callback.status),
        campaign_id=callback.campaign_id,
        created_at=callback.created_at,
        claimed_at=callback.claimed_at,
        completed_at=callback.completed_at,
        outcome=callback.outcome,
    )


@registry.route(
    "POST",
    CONTACT + "/opt-out",
    body=OptOutIn,
    responses={200: ContactOut},
    tag="contacts",
    action=Action.CONSENT_OPT_OUT,
)
def opt_out(contact_id: int, body: OptOutIn):
    """Opt a contact out; the body may be empty (source `api`)."""
    return _change(contact_id, ConsentAction.OPT_OUT, body.source)


@registry.route(
    "POST",
    CONTACT + "/opt-in",
    body=OptInIn,
    responses={200: ContactOut},
    tag="contacts",
    action=Action.CONSENT_OPT_IN,
)
def opt_in(contact_id: int, body: OptInIn):
    """Record a new, explicit opt-in with its source; this reverses an opt-out."""
    return _change(contact_id, ConsentAction.OPT_IN, body.source)


def _change(contact_id: int, action: ConsentAction, source: str):
    contact = change_consent(
        db.session, current_scope(), contact_id, action, ConsentChannel.API, source
    )
    out = _out(contact)
    db.session.commit()
    return out, 200
