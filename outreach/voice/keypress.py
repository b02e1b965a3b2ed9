"""The call's reads and writes on the key-press path: one SELECT, one guarded INSERT.

Every key press of a call is answered in a few hundred milliseconds while the caller waits, so
the statements are built once at import and run on the session's connection without ORM
objects (like the SMS campaign reply's fast path): `read_call` brings the call, its contact,
its campaign's topic, its MRC and the recordings uploaded for its topic and the common prompts
in its language (what the next prompt plays) in one SELECT; `record_key` writes the key press as a
`Response` in one INSERT whose WHERE is the guard — for an outbound call, the contact is still
opted in at that moment (a STOP by SMS during the call ends the menu, it is not offered more).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, literal, select, update
from sqlalchemy.orm import Session

from outreach.models import Call, Campaign, ConsentState, Contact, Recording, Region, Response
from outreach.voice.catalog import COMMON
from outreach.voice.recordings import NOTHING_KNOWN, KnownRecordings

OUTBOUND, INBOUND = "outbound", "inbound"
RESPONSES, CALLS = Response.__table__, Call.__table__


@dataclass(frozen=True)
class CallContext:
    """What the flow needs to know about a call, read in one SELECT."""

    id: int
    direction: str
    campaign_id: int | None
    contact_id: int | None
    language: str | None
    consent: str | None
    topic: str | None  # the campaign's, or the one a hotline caller chose
    region_name: str | None
    region_phone: str | None
    sender_number: str | None
    region_languages: list | None
    recordings: KnownRecordings = NOTHING_KNOWN  # uploads read with the call

    @property
    def reachable(self) -> bool:
        """Whether the menu may go on: an outbound call only while the contact is opted in."""
        return self.direction != OUTBOUND or self.consent == ConsentState.OPTED_IN


def read_call(session: Session, call_id: int) -> CallContext | None:
    """The call with its contact, topic, MRC and uploads; None for no such call."""
    row = session.connection().execute(_READ_CALL, {"call": call_id}).first()
    if row is None:
        return None
    fields = dict(row._mapping)
    fields["recordings"] = _known(fields["topic"], fields["language"], fields.pop("uploads"))
    return CallContext(**fields)


def record_key(
    session: Session, call: CallContext, node: str, key: str, kind: str, now: datetime
) -> int | None:
    """Write a key press; its id, or None when the guard refused it (opted out meanwhile)."""
    statement = _RECORD_GUARDED if call.direction == OUTBOUND else _RECORD
    params = {
        "contact": call.contact_id,
        "campaign": call.campaign_id,
        "call": call.id,
        "node": node,
        "key": key,
        "kind": kind,
        "now": now,
    }
    return session.connection().execute(statement, params).scalar_one_or_none()


def choose_topic(session: Session, call_id: int, topic: str) -> None:
    """Keep the topic a hotline caller chose, so the next key reads its menu."""
    session.connection().execute(
        update(CALLS).where(CALLS.c.id == call_id).values(menu_topic=topic)
    )


def choose_language(session: Session, call: CallContext, language: str) -> None:
    """Keep the language a new caller chose, on the call and on the contact."""
    connection = session.connection()
    connection.execute(update(CALLS).where(CALLS.c.id == call.id).values(language=language))
    if call.contact_id is not None:
        contacts = Contact.__table__
        connection.execute(
            update(contacts).where(contacts.c.id == call.contact_id).values(language=language)
        )


def _read_call():
    return (
        select(
            Call.id,
            Call.direction,
            Call.campaign_id,
            Call.contact_id,
            func.coalesce(Call.language, Contact.language).label("language"),
            Contact.consent,
            func.coalesce(Campaign.topic, Call.menu_topic).label("topic"),
            Region.name.label("region_name"),
            Region.phone.label("region_phone"),
            Region.sender_number,
            Region.languages.label("region_languages"),
            _uploads().label("uploads"),
        )
        .select_from(Call)
        .outerjoin(Contact, Contact.id == Call.contact_id)
        .outerjoin(Campaign, Campaign.id == Call.campaign_id)
        .outerjoin(Region, Region.id == func.coalesce(Call.region_id, Contact.region_id))
        .where(Call.id == bindparam("call"))
    )


def _uploads():
    """The call's uploads as "topic/prompt=sha256 …": its topic's and the common prompts', in
    its language (topic and prompt names are `[a-z0-9_-]`: the separators cannot occur in them)."""
    entry = Recording.topic + "/" + Recording.prompt + "=" + Recording.sha256
    return (
        select(func.aggregate_strings(entry, " "))
        .where(
            Recording.language == func.coalesce(Call.language, Contact.language),
            Recording.topic.in_([func.coalesce(Campaign.topic, Call.menu_topic), COMMON]),
        )
        .scalar_subquery()
    )


def _known(topic: str | None, language: str | None, uploads: str | None) -> KnownRecordings:
    hashes = {}
    for entry in (uploads or "").split():
        name, sha = entry.split("=")
        prompt_topic, prompt = name.split("/")
        hashes[(prompt_topic, prompt, language)] = sha
    return KnownRecordings(frozenset({COMMON, topic} - {None}), language, hashes)


def _param(key: str, column):
    return bindparam(key, type_=column.type)


_VALUES = {
    "contact_id": _param("contact", RESPONSES.c.contact_id),
    "campaign_id": _param("campaign", RESPONSES.c.campaign_id),
    "call_id": _param("call", RESPONSES.c.call_id),
    "channel": literal("ivr", RESPONSES.c.channel.type),
    "menu_node": _param("node", RESPONSES.c.menu_node),
    "kind": _param("kind", RESPONSES.c.kind),
    "text": _param("key", RESPONSES.c.text),
    "at": _param("now", RESPONSES.c.at),
}


def _record(guarded: bool):
    """The key press INSERT; guarded, it inserts only while the contact is opted in."""
    values = select(*(value.label(name) for name, value in _VALUES.items()))
    if guarded:
        values = values.where(
            exists().where(
                Contact.id == bindparam("contact"),
                Contact.consent == ConsentState.OPTED_IN.value,
            )
        )
    return RESPONSES.insert().from_select(list(_VALUES), values).returning(RESPONSES.c.id)


_READ_CALL = _read_call()
_RECORD = _record(guarded=False)
_RECORD_GUARDED = _record(guarded=True)
