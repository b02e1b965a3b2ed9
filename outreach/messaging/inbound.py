"""Inbound SMS: opt-out and opt-in keywords, HELP, answers to the latest campaign, call-backs.

An inbound SMS reads: record it (once per SID) → read it (a keyword, or an option of the latest
campaign) → act (`contacts.consent` or `callbacks`) → reply. The reply's language is decided
once, by `reply_language`: the contact's, or for a number we do not know yet the language of
the MRC whose number it wrote to. Nothing is dropped: what is not understood is kept for the
coordinator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.audit import record_audit
from outreach.callbacks.service import CallbackSource, request_callback
from outreach.contacts.consent import apply_consent
from outreach.content import (
    KeywordAction,
    OptionAction,
    UnknownTopic,
    get_topic,
    keyword_action,
    load_common,
    match_reply_option,
    message_values,
    render_text,
)
from outreach.models import (
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
    language = reply_language(contact, region)
    action = keyword_action(sms.body, language)
    if action is None:
        reply = _answer(session, sms, contact, language, now)
    elif action is KeywordAction.HELP:
        reply = _common_text(load_common().help, language, region, contact)
    else:
        contact, reply = _consent(session, sms, contact, region, action, language, now)
    if reply and contact is not None:
        _record_reply(session, contact, sms, reply, language, now)
    return reply


def reply_language(contact: Contact | None, region: Region | None) -> str:
    """The language a sender is read and answered in: theirs, else their MRC's, else English.

    An unknown number that stays (an opt-out) is stored with this same language.
    """
    if contact is not None:
        return contact.language
    return region.default_language if region is not None else "en"


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


def _consent(
    session, sms, contact, region, action: KeywordAction, language: str, now
) -> tuple[Contact | None, str]:
    """Opt out or back in; (the contact, the confirmation in `language`).

    An unknown number that says STOP is kept as a contact of the MRC it wrote to, so no later
    import can add it; any other keyword from an unknown number is answered with HELP.
    """
    common = load_common()
    new = contact is None
    if new:
        if action != KeywordAction.OPT_OUT or region is None:
            return None, _common_text(common.help, language, region)
        contact = _new_contact(session, sms.sender, region, language, now)
    event = apply_consent(
        session,
        contact,
        _CONSENT[action],
        ConsentChannel.SMS,
        _source(sms, new),
        user_id=sms.typed_by,
        at=now,
    )
    session.flush()  # a new contact gets its id; the audit row names the event
    _audit_typed_by_staff(session, sms, contact, event)
    kind = ResponseKind.OPT_OUT if action == KeywordAction.OPT_OUT else ResponseKind.OPT_IN
    _response(session, contact, latest_campaign(session, contact)[0], kind, sms.body, now)
    texts = common.opted_out if action == KeywordAction.OPT_OUT else common.opted_in
    return contact, _common_text(texts, language, region, contact)


def _new_contact(session, phone: str, region: Region, language: str, now) -> Contact:
    """A contact for someone who wrote to us, with no consent decision yet: `apply_consent`
    makes the one that follows."""
    contact = Contact(
        phone=phone.strip(),
        region_id=region.id,
        region=region,
        language=language,
        consent=ConsentState.NONE,
        consent_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    return contact


def _source(sms: InboundSms, new: bool) -> str:
    """The consent event's source: the words sent, whether the number was new to us, and who
    typed them when it was not the person."""
    source = sms.body.strip()
    if new:
        source += " (from a number not yet a contact)"
    if sms.typed_by is not None:
        source += " (typed by staff in the phone simulator)"
    return source


def _audit_typed_by_staff(session, sms: InboundSms, contact: Contact, event) -> None:
    """A consent change typed in the phone simulator is an act of staff, audited like one."""
    if sms.typed_by is None:
        return
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


def _answer(session, sms, contact, language: str, now) -> str | None:
    """A reply to the latest campaign: an option, or kept as unrecognised."""
    if contact is None:
        session.add(Response(channel="sms", kind=ResponseKind.UNRECOGNISED, text=sms.body, at=now))
        return None
    campaign_id, topic = latest_campaign(session, contact)
    option = _option(topic, sms.body, language)
    if option is None:
        _response(session, contact, campaign_id, ResponseKind.UNRECOGNISED, sms.body, now)
        if not contact.is_opted_in:
            return None
        return _common_text(load_common().unknown, language, contact.region, contact)
    kind = ResponseKind.CALLBACK if option.action == OptionAction.CALLBACK else ResponseKind.ANSWER
    response = _response(session, contact, campaign_id, kind, sms.body, now, option.key)
    if option.action == OptionAction.CALLBACK:
        session.flush()  # the request points at the response
        source = CallbackSource("sms", campaign_id, response.id)
        if not request_callback(session, contact, source, now).created:
            return None  # asked again while a request is open: acknowledged once, not again
    if not contact.is_opted_in:
        return None  # an opted-out person's request is kept, but no text goes back to them
    return render_text(option.reply(language), message_values(contact.region, contact))


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


def _common_text(texts, language: str, region: Region | None, contact=None) -> str:
    text = texts.get(language) or texts["en"]
    return render_text(text, message_values(region, contact))


def _record_reply(session, contact: Contact, sms: InboundSms, reply: str, language, now) -> None:
    """The answer goes back in the webhook's response; it is an outbound row like any other."""
    session.add(
        Message(
            direction=Direction.OUTBOUND,
            contact_id=contact.id,
            region_id=contact.region_id,
            to_phone=contact.phone,
            from_phone=sms.to,
            language=language,
            body=reply,
            status=MessageStatus.SENT,
            sent_at=now,
            created_at=now,
            updated_at=now,
        )
    )
