"""The phone simulator's calls: answer a call the MRC placed, press keys, hang up, ring an MRC.

Every step is a signed post to the URL the app's own TwiML names, in-process, with the member
of staff attached out of reach of any request (`in_process_delivery`), so a key press or an
opt-out made here names them. The status callbacks Twilio would send go to
`/webhooks/twilio/voice/status` the same way. The call between pages lives in the signed
session cookie: staff cannot point the simulator at a URL of their own. The rules of the SMS
simulator hold: only numbers the user may answer as, and with real phones only test phones
(calls the MRC places then ring real phones, never this page).
"""

from __future__ import annotations

import random
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField

from outreach.access import Scope
from outreach.content.values import message_values
from outreach.errors import Forbidden, NotFound
from outreach.extensions import db
from outreach.messaging import simulated_calls
from outreach.messaging.simulated_calls import PhoneCall, Ringing
from outreach.messaging.simulator import SimulatorProvider, in_process_delivery
from outreach.models import Call, Campaign, Region, TestPhone, utcnow
from outreach.permissions import Action
from outreach.testphones.rules import (
    contact_with_number,
    phone_to_answer_as,
    reaches_real_phones,
)
from outreach.voice.calls import OUTBOUND
from outreach.voice.simulated import RINGING, ringing_call, ringing_calls, transcript
from outreach.web.guard import requires
from outreach.web.inputs import parse_id

bp = Blueprint("simulator_calls", __name__)

SESSION_KEY = "simulator_call"
REAL_PHONES_RING = "with real phones the MRC's calls ring the real phone, not this page"
FICTION_PREFIX = "+447700900"  # Ofcom's numbers for drama: never a real person's


class CallForm(FlaskForm):
    """Answer, let ring out, hang up: the form carries only its CSRF token."""


class KeyForm(FlaskForm):
    key = StringField()  # "" is silence


class DialForm(FlaskForm):
    region = StringField()
    contact = StringField()  # the phone shown: a contact, or a test phone's number
    phone = StringField()
    new_caller = StringField()  # "1": a number nobody has (the built-in simulator only)


def call_panel(scope: Scope, phone: str | None, real_phones: bool) -> dict:
    """What the simulator page shows of calls: ringing, the current one, the MRCs to ring."""
    ringing = ringing_calls(db.session, phone, current_app.config) if phone else []
    call = _loaded()
    return {
        "ringing": [] if real_phones else ringing,
        "call": call,
        "said": _said(call),
        "hotlines": _hotlines(scope),
        "call_form": CallForm(formdata=None),
        "key_form": KeyForm(formdata=None),
        "dial_form": DialForm(formdata=None),
        "keys": "123456789*0#",
    }


@bp.post("/simulator/calls/<int:call_id>/answer")
@requires(Action.SIMULATOR)
def answer_call(call_id: int):
    """Pick up a call the MRC placed: Twilio's answered callback, then the call's TwiML."""
    ringing, back = _ringing(call_id)
    if ringing is None:
        return redirect(back)
    _hang_up_current()
    state = simulated_calls.answer(_phone(), ringing, utcnow())
    _save(state)
    return redirect(back)


@bp.post("/simulator/calls/<int:call_id>/ring-out")
@requires(Action.SIMULATOR)
def ring_out(call_id: int):
    """Let a call ring until it gives up: the app hears `no-answer`, as from Twilio."""
    ringing, back = _ringing(call_id)
    if ringing is not None:
        simulated_calls.ring_out(_phone(), ringing, utcnow())
        flash("You let the call ring out: the MRC's side sees no answer.", "success")
    return redirect(back)


@bp.post("/simulator/call/press")
@requires(Action.SIMULATOR)
def press():
    """Press a key (or stay silent) at the menu the call is waiting in."""
    form = KeyForm()
    state = _current_call()
    if not form.validate_on_submit():
        flash("The form expired; press again.", "error")
        return redirect(_back(state))
    key = (form.key.data or "").strip()
    if key and (len(key) != 1 or key not in simulated_calls.KEYS):
        flash("Press one key of the keypad.", "error")
        return redirect(_back(state))
    db.session.commit()  # the webhooks run in their own app context and session
    try:
        state = simulated_calls.press(_phone(), state, key, utcnow())
    except ValueError:
        flash("The call is not waiting for a key.", "error")
    _save(state)
    return redirect(_back(state))


@bp.post("/simulator/call/hang-up")
@requires(Action.SIMULATOR)
def hang_up():
    """Put the phone down (or put away a call that is over)."""
    form = CallForm()
    state = _loaded()
    if state is None or not form.validate_on_submit():
        return redirect(url_for("simulator.index"))
    if state.over:
        session.pop(SESSION_KEY, None)
        return redirect(_back(state))
    _may_answer_as(state.contact_id, state.phone)
    db.session.commit()
    _save(simulated_calls.hang_up(_phone(), state, utcnow()))
    return redirect(_back(state))


@bp.post("/simulator/call/dial")
@requires(Action.SIMULATOR)
def dial():
    """Ring an MRC's number as this phone (or as a new caller): its hotline answers."""
    scope = Scope.for_user(current_user)
    form = DialForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("simulator.index"))
    region = _hotline_region(scope, (form.region.data or "").strip())
    contact_id = None
    if form.new_caller.data == "1":
        if reaches_real_phones(current_app.config):
            raise Forbidden("with real phones the simulator calls only as a test phone")
        caller = _fiction_number()
    else:
        target = _may_answer_as(parse_id(form.contact.data, "contact"), form.phone.data or "")
        caller, contact_id = target.phone, target.contact.id if target.contact else None
    number = region.sender_number
    db.session.commit()
    _hang_up_current()
    base = _base()
    url = base + url_for("webhooks.voice_inbound")
    status = base + url_for("webhooks.voice_status")
    state = simulated_calls.dial(_phone(), url, caller, number, status, base, utcnow(), contact_id)
    if state.contact_id is None:
        contact = contact_with_number(db.session, caller)
        state.contact_id = contact.id if contact is not None else None
    _save(state)
    return redirect(_back(state))


def _ringing(call_id: int) -> tuple[Ringing | None, str]:
    """The ringing call this user may answer, and the page to go back to; 404 if not theirs."""
    if reaches_real_phones(current_app.config):
        raise Forbidden(REAL_PHONES_RING)
    form = CallForm()
    call = db.session.get(Call, call_id)
    if call is None or call.direction != OUTBOUND or call.contact_id is None:
        raise NotFound("call not found")
    target = _may_answer_as(call.contact_id, call.to_phone)
    back = url_for("simulator.index", contact=target.contact.id)
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return None, back
    if call.status not in RINGING or not call.provider_sid:
        flash("This call is not ringing any more.", "error")
        return None, back
    campaign = db.session.get(Campaign, call.campaign_id) if call.campaign_id else None
    found = ringing_call(call, campaign, current_app.config)
    ringing = Ringing(
        sid=call.provider_sid,
        call_id=call.id,
        contact_id=call.contact_id,
        phone=call.to_phone,
        mrc_number=call.from_phone or "",
        url=found.url,
        status_callback=found.status_callback,
        amd_callback=found.amd_callback,
    )
    db.session.commit()  # the webhooks run in their own app context and session
    return ringing, back


def _hang_up_current() -> None:
    """One call at a time, as on a phone: a call still going ends before the next begins."""
    state = _loaded()
    if state is not None and not state.over:
        simulated_calls.hang_up(_phone(), state, utcnow())
    session.pop(SESSION_KEY, None)


def _may_answer_as(contact_id: int | None, phone: str):
    scope = Scope.for_user(current_user)
    real = reaches_real_phones(current_app.config)
    return phone_to_answer_as(db.session, scope, contact_id, phone.strip(), real_phones=real)


def _current_call() -> PhoneCall:
    state = _loaded()
    if state is None:
        raise NotFound("no call in progress")
    if not state.over:
        _may_answer_as(state.contact_id, state.phone)
    return state


def _hotline_region(scope: Scope, code: str) -> Region:
    region = db.session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
    if region is None or not scope.allows(region.id):
        raise NotFound("region not found")
    if not region.sender_number:
        raise NotFound("this MRC has no number to ring")
    return region


def _hotlines(scope: Scope) -> list[Region]:
    query = select(Region).where(Region.sender_number.is_not(None)).order_by(Region.code)
    return [r for r in db.session.execute(query).scalars() if scope.allows(r.id)]


def _fiction_number() -> str:
    """A number no contact or test phone has, from a range kept for fiction."""
    taken = set(
        db.session.execute(
            select(TestPhone.phone).where(TestPhone.phone.startswith(FICTION_PREFIX))
        ).scalars()
    )
    for _ in range(50):
        number = f"{FICTION_PREFIX}{random.randrange(1000):03d}"
        if number not in taken and contact_with_number(db.session, number) is None:
            return number
    raise NotFound("no free number is left for a new caller")


def _said(state: PhoneCall | None) -> list[dict]:
    """The current screen's prompts: text, and a player for a recording."""
    if state is None:
        return []
    found = db.session.execute(select(Call).where(Call.provider_sid == state.sid))
    row = found.scalar_one_or_none()
    region = db.session.get(Region, row.region_id) if row is not None and row.region_id else None
    if region is None:
        region = db.session.execute(
            select(Region).where(Region.sender_number == state.mrc_number)
        ).scalar_one_or_none()
    fields = message_values(region)
    language = row.language if row is not None else None
    items = []
    for verb, value in state.screen.said:
        if verb == "say":
            items.append({"texts": [value], "audio": None, "placeholder": False})
            continue
        found = transcript(db.session, value, language, fields, current_app.config)
        texts = list(found.texts) if found else []
        placeholder = bool(found and found.placeholder)
        items.append({"texts": texts, "audio": _path(value), "placeholder": placeholder})
    return items


def _path(url: str) -> str | None:
    """A `<Play>` URL of ours as a path the browser fetches from this app (no other host's)."""
    path = urlsplit(url).path
    return path if path.startswith("/audio/") else None


def _phone() -> SimulatorProvider:
    app = current_app._get_current_object()
    return SimulatorProvider(app.config, deliver=in_process_delivery(app, current_user.id))


def _base() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


def _loaded() -> PhoneCall | None:
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return PhoneCall.from_dict(data)
    except (TypeError, ValueError):
        return None


def _save(state: PhoneCall) -> None:
    session[SESSION_KEY] = state.to_dict()


def _back(state: PhoneCall | None) -> str:
    if state is not None and state.contact_id is not None:
        return url_for("simulator.index", contact=state.contact_id)
    if state is not None:
        return url_for("simulator.index", phone=state.phone)
    return url_for("simulator.index")
