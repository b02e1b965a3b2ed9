"""Inbound SMS: opt-out and opt-in keywords, HELP, answers to the latest campaign, call-backs.

Every inbound message is recorded, matched to a contact by number, and answered in the
contact's language. Nothing is dropped: what is not understood is kept for the coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.audit import record_audit
from outreach.contacts.consent import apply_consent
from outreach.content.library import get_topic, keyword_action, load_common, match_reply_option
from outreach.content.render import render_text
from outreach.content.topics import KeywordAction, OptionAction, UnknownTopic
from outreach.models import (
    CallbackRequest,
    CallbackStatus,
    Campaign,
    ConsentAction,
    ConsentChannel,
    ConsentState,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Region,
    Response,
    ResponseKind,
)

SENT_STATUSES = (
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.INTERRUPTED,
)
_CONSENT = {
    KeywordAction.OPT_OUT: ConsentAction.OPT_OUT,
    KeywordAction.OPT_IN: ConsentAction.OPT_IN,
}


@dataclass(frozen=True)
class InboundSms:
    """One inbound SMS; `typed_by` is the member of staff who typed it in the phone simulator.

    `typed_by` is set only by the server, from the simulator's in-process delivery, never from
    a request's fields: a real provider request cannot claim to be staff.
    """

    sid: str | None
    sender: str
    to: str
    body: str
    typed_by: int | None = None


def receive_sms(session: Session, sms: InboundSms, now: datetime) -> str | None:
    """Record an inbound SMS and act on it; the reply to send back, if any.

    A webhook delivered twice (same SID) is recorded and answered once.
    """
    contact = session.execute(
        select(Contact).where(Contact.phone == sms.sender.strip())
    ).scalar_one_or_none()
    region = contact.region if contact else _region_for_number(session, sms.to)
    if not _record_inbound(session, sms, contact, region, now):
        return None
    language = contact.language if contact else (region.default_language if region else "en")
    action = keyword_action(sms.body, language)
    if action is not None:
        reply = _keyword(session, sms, contact, region, action, now)
    else:
        reply = _answer(session, sms, contact, now)
    if reply and contact is not None:
        _record_reply(session, contact, sms, reply, now)
    return reply


def _record_inbound(session, sms: InboundSms, contact, region, now) -> bool:
    """Insert the inbound row; False when this SID was recorded already (a repeated webhook).

    One statement that skips a conflicting SID, so even two deliveries racing each other are
    recorded (and answered) once.
    """
    insert = _dialect_insert(session)(Message).values(
        direction=Direction.INBOUND,
        contact_id=contact.id if contact else None,
        region_id=region.id if region else None,
        to_phone=sms.to,
        from_phone=sms.sender,
        body=sms.body,
        sent_by_id=sms.typed_by,
        status=MessageStatus.RECEIVED,
        provider_sid=sms.sid,
        segments=1,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    if sms.sid:
        insert = insert.on_conflict_do_nothing(index_elements=["provider_sid"])
    return session.execute(insert.returning(Message.id)).first() is not None


def _dialect_insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _region_for_number(session: Session, our_number: str) -> Region | None:
    """The region whose sender number was written to, if any."""
    return (
        session.execute(select(Region).where(Region.sender_number == our_number)).scalars().first()
    )


def _keyword(session, sms, contact, region, action: KeywordAction, now) -> str | None:
    common = load_common()
    language = contact.language if contact else "en"
    if action == KeywordAction.HELP:
        return _common_text(common.help, language, region)
    if contact is None:
        contact = _remember_unknown_opt_out(session, sms, region, action, now)
        if contact is None:
            return _common_text(common.help, language, region)
    else:
        event = apply_consent(
            session,
            contact,
            _CONSENT[action],
            ConsentChannel.SMS,
            _source(sms),
            user_id=sms.typed_by,
            at=now,
        )
        _audit_typed_by_staff(session, sms, contact, event)
    kind = ResponseKind.OPT_OUT if action == KeywordAction.OPT_OUT else ResponseKind.OPT_IN
    _response(session, contact, latest_campaign(session, contact)[0], kind, sms.body, now)
    texts = common.opted_out if action == KeywordAction.OPT_OUT else common.opted_in
    return _common_text(texts, language, contact.region)


def _remember_unknown_opt_out(session, sms, region, action, now) -> Contact | None:
    """An unknown number that says STOP is kept, opted out, so no later import can add it."""
    if action != KeywordAction.OPT_OUT or region is None:
        return None
    contact = Contact(
        phone=sms.sender.strip(),
        region_id=region.id,
        region=region,
        language=region.default_language,
        consent=ConsentState.OPTED_OUT,
        consent_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    event = apply_consent(
        session,
        contact,
        ConsentAction.OPT_OUT,
        ConsentChannel.SMS,
        f"{_source(sms)} (from a number not yet a contact)",
        user_id=sms.typed_by,
        at=now,
    )
    _audit_typed_by_staff(session, sms, contact, event)
    return contact


def _source(sms: InboundSms) -> str:
    """The consent event's source: the words sent, and who typed them when it was not the person."""
    if sms.typed_by is None:
        return sms.body.strip()
    return f"{sms.body.strip()} (typed by staff in the phone simulator)"


def _audit_typed_by_staff(session, sms: InboundSms, contact: Contact, event) -> None:
    """A consent change typed in the phone simulator is an act of staff, audited like one."""
    if sms.typed_by is None:
        return
    session.flush()
    record_audit(
        session,
        sms.typed_by,
        f"consent.{event.action}",
        "contact",
        contact.id,
        channel=ConsentChannel.SMS.value,
        via="simulator",
        consent_event_id=event.id,
    )


def latest_campaign(session: Session, contact: Contact) -> tuple[int | None, str | None]:
    """The campaign whose message the contact received most recently: (id, topic)."""
    row = session.execute(
        select(Message.campaign_id, Campaign.topic)
        .join(Campaign, Campaign.id == Message.campaign_id)
        .where(
            Message.contact_id == contact.id,
            Message.direction == Direction.OUTBOUND,
            Message.status.in_(SENT_STATUSES),
        )
        .order_by(Message.sent_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
    return (row.campaign_id, row.topic) if row else (None, None)


def _answer(session, sms, contact, now) -> str | None:
    """A reply to the latest campaign: an option, or kept as unrecognised."""
    if contact is None:
        session.add(Response(channel="sms", kind=ResponseKind.UNRECOGNISED, text=sms.body, at=now))
        return None
    campaign_id, topic = latest_campaign(session, contact)
    option = _option(topic, sms.body, contact.language)
    if option is None:
        _response(session, contact, campaign_id, ResponseKind.UNRECOGNISED, sms.body, now)
        if not contact.is_opted_in:
            return None
        return _common_text(load_common().unknown, contact.language, contact.region)
    kind = ResponseKind.CALLBACK if option.action == OptionAction.CALLBACK else ResponseKind.ANSWER
    response = _response(session, contact, campaign_id, kind, sms.body, now, option.key)
    if option.action == OptionAction.CALLBACK:
        session.flush()  # the request points at the response
        _request_callback(session, contact, campaign_id, response, now)
    if not contact.is_opted_in:
        return None  # an opted-out person's request is kept, but no text goes back to them
    return render_text(option.reply(contact.language), _values(contact.region, contact))


def _option(topic_id: str | None, text: str, language: str):
    if topic_id is None:
        return None
    try:
        topic = get_topic(topic_id)
    except UnknownTopic:
        return None
    return match_reply_option(topic, text, language)


def _response(session, contact, campaign_id, kind, text, now, option=None) -> Response:
    response = Response(
        contact_id=contact.id,
        campaign_id=campaign_id,
        channel="sms",
        kind=kind,
        option=option,
        text=text,
        at=now,
    )
    session.add(response)
    return response


def _request_callback(session, contact, campaign_id, response, now) -> None:
    """One open call-back request per person: asking again does not queue them twice."""
    open_request = session.execute(
        select(CallbackRequest.id).where(
            CallbackRequest.contact_id == contact.id,
            CallbackRequest.status.in_((CallbackStatus.OPEN, CallbackStatus.CLAIMED)),
        )
    ).first()
    if open_request is None:
        session.add(
            CallbackRequest(
                contact_id=contact.id,
                region_id=contact.region_id,
                campaign_id=campaign_id,
                response_id=response.id,
                channel="sms",
                created_at=now,
            )
        )


def _values(region: Region | None, contact: Contact | None = None) -> dict[str, str]:
    return {
        "name": (contact.name if contact else None) or "",
        "mrc_name": region.name if region else "MRC",
        "mrc_phone": (region.phone or region.sender_number or "") if region else "",
    }


def _common_text(texts, language: str | None, region: Region | None) -> str:
    text = texts.get(language or "en") or texts["en"]
    return render_text(text, _values(region))


def _record_reply(session, contact: Contact, sms: InboundSms, reply: str, now) -> None:
    """The answer goes back in the webhook's response; it is an outbound row like any other."""
    session.add(
        Message(
            direction=Direction.OUTBOUND,
            contact_id=contact.id,
            region_id=contact.region_id,
            to_phone=contact.phone,
            from_phone=sms.to,
            language=contact.language,
            body=reply,
            status=MessageStatus.SENT,
            sent_at=now,
            created_at=now,
            updated_at=now,
        )
    )
