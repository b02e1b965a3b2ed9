"""The MRC hotline: a call to a region's number, by the region's hotline mode.

- `menu`: a known caller hears their language; anyone else first chooses one (each choice
  said in its own language), then the welcome and the topics, then the chosen topic's menu.
  Someone we do not know becomes a contact of that MRC with consent `none`: reachable for the
  call-back they ask for, never in a campaign's audience until they opt in.
- `missed_call`: `<Reject reason="busy"/>` before the call is answered, so the caller pays
  nothing, and a call-back request (one open request a person: ten rings, one request).
- `off`: `hotline_closed`, and the end of the call.
Each call in `menu` mode is an inbound `Call` row (once per CallSid, however often the
webhook is delivered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from outreach.callbacks.service import CallbackSource, request_callback
from outreach.languages import language_for_key, language_key
from outreach.models import (
    Call,
    CallStatus,
    ConsentState,
    Contact,
    HotlineMode,
    Region,
)
from outreach.voice import flow
from outreach.voice.answer import Answering, speaker
from outreach.voice.catalog import COMMON, HOTLINE_NODE, hotline_menu
from outreach.voice.keypress import INBOUND, CallContext, choose_language, read_call
from outreach.voice.twiml import (
    gather_twiml,
    hangup,
    reject_busy,
    said_then_hangup,
    step_twiml,
)

HOTLINE_PATH = "/webhooks/twilio/voice/hotline/"


@dataclass(frozen=True)
class InboundCall:
    """A call to one of our numbers: Twilio's `CallSid`, `From` and `To`."""

    sid: str
    caller: str
    to: str


def answer_hotline(session: Session, call: InboundCall, now: datetime, env: Answering) -> str:
    """The first TwiML of a call to an MRC's number, by the MRC's hotline mode."""
    region = _region_for_number(session, call.to)
    if region is None or not call.caller.strip():
        return hangup()  # not a number of ours, or no number to call back
    if region.hotline == HotlineMode.MISSED_CALL:
        contact, _ = _contact(session, call.caller, region, now)
        request_callback(session, contact, CallbackSource("missed_call"), now)
        return reject_busy()
    if region.hotline != HotlineMode.MENU:
        return _closed(session, region, call, env)
    contact, new = _contact(session, call.caller, region, now)
    call_id = _inbound_call(session, call, region, contact, None if new else contact.language, now)
    context = read_call(session, call_id)
    if new and len(region.languages) > 1:
        return _language_choice(session, context, 0, env)
    return _welcome(session, context, env)


def answer_language(
    session: Session, call_id: int, digits: str, tries: int, now: datetime, env: Answering
) -> str:
    """A new caller's language key: the welcome and the topics in it, or the choice again."""
    call = read_call(session, call_id)
    if call is None or call.direction != INBOUND:
        return hangup()
    languages = list(call.region_languages or ["en"])
    language = language_for_key((digits or "")[:1], languages)
    if language is not None:
        choose_language(session, call, language)
        return _welcome(session, read_call(session, call_id), env)
    if tries >= flow.MAX_REPLAYS:
        return said_then_hangup([_say(session, call, env, "goodbye")], env.base_url, env.provider)
    return _language_choice(session, call, tries + 1, env)


def _region_for_number(session: Session, number: str) -> Region | None:
    return session.execute(
        select(Region).where(Region.sender_number == number.strip())
    ).scalar_one_or_none()


def _contact(session: Session, phone: str, region: Region, now) -> tuple[Contact, bool]:
    """The caller's contact, or a new one of this MRC with consent `none`; (contact, new)."""
    phone = phone.strip()
    contact = session.execute(select(Contact).where(Contact.phone == phone)).scalar_one_or_none()
    if contact is not None:
        return contact, False
    contact = Contact(
        phone=phone,
        region_id=region.id,
        region=region,
        language=region.default_language,
        consent=ConsentState.NONE,
        consent_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    return contact, True


def _inbound_call(session, call: InboundCall, region, contact, language, now) -> int:
    """The call's row, written once per CallSid; its id."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(Call)
        .values(
            direction=INBOUND,
            contact_id=contact.id,
            region_id=region.id,
            to_phone=call.to.strip()[:20],
            from_phone=call.caller.strip(),
            language=language,
            status=CallStatus.IN_PROGRESS,
            provider_sid=call.sid,
            attempts=0,
            started_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["provider_sid"])
        .returning(Call.id)
    )
    call_id = session.execute(statement).scalar_one_or_none()
    if call_id is None:  # a repeated webhook: the row is there
        call_id = session.execute(select(Call.id).where(Call.provider_sid == call.sid)).scalar_one()
    return call_id


def _welcome(session: Session, call: CallContext, env: Answering) -> str:
    """`hotline_welcome`, then the topics (their keys posted to the call's flow)."""
    first = (flow.common("hotline_welcome"),)
    step = flow.enter(hotline_menu(), COMMON, HOTLINE_NODE, first=first)
    return step_twiml(step, call.id, speaker(session, call, env), env.base_url, env.provider)


def _language_choice(session: Session, call: CallContext, tries: int, env: Answering) -> str:
    """ "For <language>, press <n>" for each of the MRC's languages, each in its own language."""
    audios = []
    if tries:
        audios.append(_say(session, call, env, "not_understood"))
    for language in call.region_languages or ["en"]:
        speak = speaker(session, call, env, language, {"key": language_key(language)})
        audios.append(speak(flow.common("language_choice")))
    action = f"{env.base_url.rstrip('/')}{HOTLINE_PATH}{call.id}/language?tries={tries}"
    return gather_twiml(action, audios, env.base_url, env.provider)


def _closed(session: Session, region: Region, call: InboundCall, env: Answering) -> str:
    contact = session.execute(
        select(Contact).where(Contact.phone == call.caller.strip())
    ).scalar_one_or_none()
    language = contact.language if contact is not None else region.default_language
    context = CallContext(
        id=0,
        direction=INBOUND,
        campaign_id=None,
        contact_id=None,
        language=language,
        consent=None,
        topic=None,
        region_name=region.name,
        region_phone=region.phone,
        sender_number=region.sender_number,
        region_languages=list(region.languages),
    )
    audio = _say(session, context, env, "hotline_closed")
    return said_then_hangup([audio], env.base_url, env.provider)


def _say(session, call: CallContext, env: Answering, prompt: str):
    return speaker(session, call, env)(flow.Said(COMMON, prompt))
