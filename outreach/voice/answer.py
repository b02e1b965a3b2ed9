"""Answering a call's webhooks: its first TwiML, and each key pressed at a node of its menu.

`answer_call` reads the call (`keypress.read_call`), reads the key against the menu
(`flow`), writes the key press as it happens (`keypress.record_key`, guarded by consent for an
outbound call), does what the key asks — a call-back request (`callbacks`), an opt-out
(`contacts.consent`, channel `ivr`) — and builds the TwiML (`twiml`). The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy.orm import Session

from outreach.audit import record_audit
from outreach.callbacks.service import CallbackSource, request_callback
from outreach.contacts.consent import apply_consent
from outreach.content import message_values
from outreach.content.menus import MenuAction, VoiceMenu
from outreach.models import ConsentAction, ConsentChannel, Contact
from outreach.voice import flow
from outreach.voice.catalog import (
    COMMON,
    TOPIC_TARGET,
    NoMenu,
    hotline_menu,
    topic_menu,
)
from outreach.voice.keypress import INBOUND, CallContext, choose_topic, read_call, record_key
from outreach.voice.prompts import prompt_audio
from outreach.voice.twiml import hangup, step_twiml

CALLBACK_CHANNELS = {"outbound": "ivr", "inbound": "hotline"}


@dataclass(frozen=True)
class Answering:
    """Where the answer is built for: the app's public URL, the provider, the settings."""

    base_url: str
    provider: str
    config: Mapping


@dataclass(frozen=True)
class KeyPress:
    """A webhook of a call: `node` None is the call's start; `digits` empty is silence.

    `pressed_by` is the member of staff pressing keys in the phone simulator, set only by the
    server (never from a request's fields), as for a reply typed there.
    """

    call_id: int
    node: str | None = None
    digits: str = ""
    tries: int = 0
    confirming: bool = False
    pressed_by: int | None = None


def answer_call(session: Session, press: KeyPress, now: datetime, env: Answering) -> str:
    """The TwiML for a call's start or a key pressed in it; the key press is recorded."""
    call = read_call(session, press.call_id)
    if call is None:
        return hangup()
    if not call.reachable:
        return _render(session, call, flow.goodbye(), env)  # opted out meanwhile
    try:
        menu, topic = _menu(call)
    except NoMenu:
        return _render(session, call, flow.goodbye(), env)
    step = _read(menu, topic, press)
    response_id = None
    if step.kind is not None and press.digits:
        response_id = record_key(session, call, press.node, press.digits[:1], step.kind, now)
        if response_id is None:
            return _render(session, call, flow.goodbye(), env)  # the guard: opted out just now
        if press.pressed_by is not None:
            _record_staff_press(session, call, press, response_id)
    if step.goto is not None:
        topic = step.goto.removeprefix(TOPIC_TARGET)
        choose_topic(session, call.id, topic)
        menu = topic_menu(topic)
        step = flow.enter(menu, topic, menu.start)
    _act(session, call, step, press, response_id, now)
    return _render(session, call, step, env)


def _record_staff_press(session, call: CallContext, press: KeyPress, response_id: int) -> None:
    """A key pressed by staff in the phone simulator names them, as a reply typed there does
    (the key press row is the caller's; the audit row says who pressed it)."""
    record_audit(
        session,
        press.pressed_by,
        "ivr.key_press",
        "contact",
        call.contact_id,
        call_id=call.id,
        node=press.node,
        key=press.digits[:1],
        response_id=response_id,
        via="simulator",
    )


def _menu(call: CallContext) -> tuple[VoiceMenu, str]:
    """The call's menu: its topic's, or for a hotline caller yet to choose, the topics."""
    if call.topic is not None:
        return topic_menu(call.topic), call.topic
    if call.direction == INBOUND:
        return hotline_menu(), COMMON
    raise NoMenu(None)


def _read(menu: VoiceMenu, topic: str, press: KeyPress) -> flow.Step:
    if press.node is None or press.node not in menu.nodes:
        return flow.enter(menu, topic, menu.start)  # the call's start (or a menu changed since)
    if press.confirming:
        return flow.read_confirmation(menu, topic, press.node, press.digits)
    return flow.read_key(menu, topic, press.node, press.digits, press.tries)


def _act(session, call: CallContext, step: flow.Step, press: KeyPress, response_id, now):
    """A call-back request or an opt-out, when the key asked for one."""
    if step.act is None or call.contact_id is None:
        return
    contact = session.get(Contact, call.contact_id)
    if step.act == MenuAction.CALLBACK:
        source = CallbackSource(CALLBACK_CHANNELS[call.direction], call.campaign_id, response_id)
        request_callback(session, contact, source, now)
    elif step.act == MenuAction.OPT_OUT:
        source = f"key 0 then 1 at {press.node}"
        if press.pressed_by is not None:
            source += " (pressed by staff in the phone simulator)"
        event = apply_consent(
            session,
            contact,
            ConsentAction.OPT_OUT,
            ConsentChannel.IVR,
            source,
            user_id=press.pressed_by,
            at=now,
        )
        session.flush()
        if press.pressed_by is not None:
            record_audit(
                session,
                press.pressed_by,
                f"consent.{event.action}",
                "contact",
                contact.id,
                channel=ConsentChannel.IVR.value,
                via="simulator",
                consent_event_id=event.id,
            )


def speaker(
    session: Session,
    call: CallContext,
    env: Answering,
    language: str | None = None,
    extra: Mapping[str, str] | None = None,
):
    """Say a prompt in the call's language with its MRC's name and number filled in."""
    region = SimpleNamespace(
        name=call.region_name or "MRC", phone=call.region_phone, sender_number=call.sender_number
    )
    fields = {**message_values(region), **(extra or {})}
    language = language or call.language or (call.region_languages or ["en"])[0]

    def speak(said: flow.Said):
        return prompt_audio(
            session,
            said.topic,
            said.prompt,
            language,
            config=env.config,
            fields=fields,
            known=call.recordings,
        )

    return speak


def _render(session, call: CallContext, step: flow.Step, env: Answering) -> str:
    return step_twiml(step, call.id, speaker(session, call, env), env.base_url, env.provider)
