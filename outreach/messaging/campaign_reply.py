"""The fast path for the most common inbound SMS: an opted-in contact choosing a campaign's option.

After a campaign, almost every inbound SMS is the same request: a known, opted-in contact
answers the campaign they received last with one of its options ("1", "маълумот"). `answer_sms`
is the one place that decides: that request takes this path; everything else — keywords
(STOP, START, HELP in every language), call-backs, unknown numbers, opted-out contacts, text
that is no option, a message without a SID — takes the general path, `inbound.receive_sms`,
exactly as before. (A rare request so pays one SELECT more than it did: the fast path's read.)

This path records the same rows and gives the same answer as `receive_sms` (a test holds the
two side by side); it only does the work with fewer statements and no ORM objects:

- one SELECT, built once at import, brings the contact, its region and its latest campaign
  (a LATERAL join on PostgreSQL; a correlated subquery on SQLite, which has no LATERAL),
  where the general path runs one query for the contact and another for the campaign;
- the three rows — the inbound message, the Response, the reply — are written by Core inserts
  built once at import, not by ORM objects and flushes. A repeated SID is still recorded once
  and answered once: the inbound insert skips a conflicting SID (`ON CONFLICT DO NOTHING`) and
  the two other rows are written only when it inserted. On PostgreSQL the three inserts are one
  statement (data-modifying CTEs: the Response and the reply select from the inbound insert's
  RETURNING, so they exist only when it inserted); SQLite cannot insert into two tables in one
  statement, so there they are three, the last two only when the first returned a row;
- the caller commits once, as for the general path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, literal, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.content import (
    OptionAction,
    ReplyOption,
    get_topic,
    keyword_action,
    match_reply_option,
    message_values,
    render_text,
)
from outreach.content.topics import UnknownTopic
from outreach.messaging.inbound import SENT_STATUSES, InboundSms, receive_sms
from outreach.models import (
    Campaign,
    ConsentState,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Region,
    Response,
    ResponseKind,
)

MESSAGES, RESPONSES = Message.__table__, Response.__table__


def answer_sms(session: Session, sms: InboundSms, now: datetime) -> str | None:
    """Record an inbound SMS and act on it; the reply to send back, if any.

    The one decision point: a reply to a campaign takes the fast path, the rest `receive_sms`.
    """
    reply = read_campaign_reply(session, sms) if sms.sid else None
    if reply is None:
        return receive_sms(session, sms, now)
    if not _record(session, reply, sms, now):
        return None  # a repeated webhook: recorded and answered the first time
    return reply.text


@dataclass(frozen=True)
class CampaignReply:
    """What the fast path writes: who answered which campaign with which option, and the reply."""

    contact_id: int
    region_id: int
    contact_phone: str
    language: str
    campaign_id: int
    option: str
    text: str  # the option's answer in the contact's language


def read_campaign_reply(session: Session, sms: InboundSms) -> CampaignReply | None:
    """The campaign reply this SMS is, from one SELECT; None when it is anything else."""
    connection = session.connection()  # Core statements: no ORM entities to load
    row = connection.execute(
        _SENDER[connection.dialect.name], {"phone": sms.sender.strip()}
    ).first()
    if row is None or row.consent != ConsentState.OPTED_IN or row.topic is None:
        return None  # unknown number, opted out (no text back), or no campaign to answer
    if keyword_action(sms.body, row.language) is not None:
        return None  # STOP / START / HELP always go the general way
    option = _option(row.topic, sms.body, row.language)
    if option is None or option.action != OptionAction.INFO:
        return None  # not understood, or a call-back (a request in the queue)
    region = SimpleNamespace(
        name=row.region_name, phone=row.region_phone, sender_number=row.sender_number
    )
    values = message_values(region, SimpleNamespace(name=row.name))
    return CampaignReply(
        contact_id=row.id,
        region_id=row.region_id,
        contact_phone=row.phone,
        language=row.language,
        campaign_id=row.campaign_id,
        option=option.key,
        text=render_text(option.reply(row.language), values),
    )


def _option(topic_id: str, text: str, language: str) -> ReplyOption | None:
    try:
        return match_reply_option(get_topic(topic_id), text, language)
    except UnknownTopic:
        return None


def _record(session: Session, reply: CampaignReply, sms: InboundSms, now: datetime) -> bool:
    """Write the inbound message, the Response and the reply; False for a repeated SID."""
    # Parameter names are no column's name: Core would add a column for a parameter that is.
    params = {
        "contact": reply.contact_id,
        "region": reply.region_id,
        "contact_phone": reply.contact_phone,
        "reply_language": reply.language,
        "campaign": reply.campaign_id,
        "option_key": reply.option,
        "reply_text": reply.text,
        "sender": sms.sender,
        "our_number": sms.to,
        "sms_body": sms.body,
        "sid": sms.sid,
        "typed_by": sms.typed_by,
        "now": now,
    }
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return connection.execute(_RECORD_POSTGRESQL, params).first() is not None
    if connection.execute(_INBOUND_SQLITE, params).first() is None:
        return False
    connection.execute(_RESPONSE_SQLITE, params)
    connection.execute(_REPLY_SQLITE, params)
    return True


# -- the statements, built once at import (SQLAlchemy caches their compiled form) -----------


def _latest_sent(contact_id):
    """The campaign last sent to a contact (as `inbound.latest_campaign`, without the join:
    a message's campaign always exists, and our own replies belong to none)."""
    return (
        select(Message.campaign_id)
        .where(
            Message.contact_id == contact_id,
            Message.direction == Direction.OUTBOUND,
            # One parameter per status, not an expanding IN rendered again on every request.
            Message.status.in_([literal(status) for status in SENT_STATUSES]),
            Message.campaign_id.is_not(None),
        )
        .order_by(Message.sent_at.desc(), Message.id.desc())
        .limit(1)
    )


def _sender_select(dialect: str):
    """Contact, region and latest campaign of the sender (`:phone`) in one SELECT.

    PostgreSQL joins the latest campaign LATERAL; SQLite has no LATERAL, so there the campaign
    is joined on the id a correlated subquery names. Both read the same row.
    """
    query = (
        select(
            Contact.id,
            Contact.region_id,
            Contact.phone,
            Contact.language,
            Contact.name,
            Contact.consent,
            Region.name.label("region_name"),
            Region.phone.label("region_phone"),
            Region.sender_number,
            Campaign.id.label("campaign_id"),
            Campaign.topic,
        )
        .select_from(Contact)
        .join(Region, Region.id == Contact.region_id)
        .where(Contact.phone == bindparam("phone"))
    )
    if dialect == "postgresql":
        latest = _latest_sent(Contact.id).lateral("latest")
        query = query.outerjoin(latest, true())
        campaign_id = latest.c.campaign_id
    else:
        campaign_id = _latest_sent(Contact.id).correlate(Contact).scalar_subquery()
    return query.outerjoin(Campaign, Campaign.id == campaign_id)


def _param(key: str, column):
    """A named parameter typed like the column it fills."""
    return bindparam(key, type_=column.type)


_INBOUND_VALUES = {
    "direction": Direction.INBOUND.value,
    "contact_id": _param("contact", MESSAGES.c.contact_id),
    "region_id": _param("region", MESSAGES.c.region_id),
    "to_phone": _param("our_number", MESSAGES.c.to_phone),
    "from_phone": _param("sender", MESSAGES.c.from_phone),
    "body": _param("sms_body", MESSAGES.c.body),
    "sent_by_id": _param("typed_by", MESSAGES.c.sent_by_id),
    "status": MessageStatus.RECEIVED.value,
    "provider_sid": _param("sid", MESSAGES.c.provider_sid),
    "segments": 1,
    "attempts": 0,
    "created_at": _param("now", MESSAGES.c.created_at),
    "updated_at": _param("now", MESSAGES.c.updated_at),
}
_RESPONSE_VALUES = {
    "contact_id": _param("contact", RESPONSES.c.contact_id),
    "campaign_id": _param("campaign", RESPONSES.c.campaign_id),
    "channel": "sms",
    "kind": ResponseKind.ANSWER.value,
    "option": _param("option_key", RESPONSES.c.option),
    "text": _param("sms_body", RESPONSES.c.text),
    "at": _param("now", RESPONSES.c.at),
}
_REPLY_VALUES = {
    "direction": Direction.OUTBOUND.value,
    "contact_id": _param("contact", MESSAGES.c.contact_id),
    "region_id": _param("region", MESSAGES.c.region_id),
    "to_phone": _param("contact_phone", MESSAGES.c.to_phone),
    "from_phone": _param("our_number", MESSAGES.c.from_phone),
    "language": _param("reply_language", MESSAGES.c.language),
    "body": _param("reply_text", MESSAGES.c.body),
    "status": MessageStatus.SENT.value,
    "segments": 1,
    "attempts": 0,
    "sent_at": _param("now", MESSAGES.c.sent_at),
    "created_at": _param("now", MESSAGES.c.created_at),
    "updated_at": _param("now", MESSAGES.c.updated_at),
}


def _inbound_insert(dialect_insert):
    """The inbound message, skipped when its SID is recorded already; RETURNING its id."""
    return (
        dialect_insert(MESSAGES)
        .values(_INBOUND_VALUES)
        .on_conflict_do_nothing(index_elements=["provider_sid"])
        .returning(MESSAGES.c.id)
    )


def _after(inbound, table, values: dict):
    """An INSERT of one row into `table` that happens only when `inbound` inserted its row."""
    columns = [
        (value if hasattr(value, "key") else literal(value, table.c[name].type)).label(name)
        for name, value in values.items()
    ]
    return table.insert().from_select(list(values), select(*columns).select_from(inbound))


def _record_postgresql():
    """The three inserts as one statement; it returns a row only when the SID was new."""
    inbound = _inbound_insert(postgresql.insert).cte("inbound")
    answer = _after(inbound, RESPONSES, _RESPONSE_VALUES).cte("answer")
    return _after(inbound, MESSAGES, _REPLY_VALUES).add_cte(answer).returning(MESSAGES.c.id)


_SENDER = {"postgresql": _sender_select("postgresql"), "sqlite": _sender_select("sqlite")}
_RECORD_POSTGRESQL = _record_postgresql()
_INBOUND_SQLITE = _inbound_insert(sqlite.insert)
_RESPONSE_SQLITE = RESPONSES.insert().values(_RESPONSE_VALUES)
_REPLY_SQLITE = MESSAGES.insert().values(_REPLY_VALUES)
