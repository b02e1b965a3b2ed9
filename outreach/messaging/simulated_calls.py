"""The phone simulator's side of a voice call: it follows the app's own TwiML as Twilio does.

A call the simulator provider placed rings on the simulated phone until staff answer it or let
it ring out; a call staff make to an MRC's number goes to the hotline webhook. Either way the
simulator posts Twilio's call form, signed, to the URLs the app's TwiML names (`<Gather
action>`, `<Redirect>`), and sends the status callbacks Twilio would (answered, completed with
its duration, no-answer, busy), so a simulated call takes the one code path a real one takes.
Nothing here reads a request or a database: the web layer keeps a `PhoneCall` between pages.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

from outreach.messaging.simulator import SimulatorProvider

MAX_REDIRECTS = 10  # Twilio gives up on a loop of redirects; so does the simulator
KEYS = "0123456789*#"
IN_PROGRESS, COMPLETED, NO_ANSWER, BUSY = "in-progress", "completed", "no-answer", "busy"


class NotOurUrl(ValueError):
    """A TwiML URL outside the app's voice webhooks: the simulator never posts there."""


@dataclass
class Screen:
    """One TwiML answer as the phone hears it."""

    said: list[tuple[str, str]] = field(default_factory=list)  # ("say", text) | ("play", url)
    gather: str | None = None  # where a key pressed now is posted
    on_silence: str | None = None  # where silence goes (None: the call ends)
    end: str | None = None  # "hangup", "reject", "error", or None while a key is awaited


@dataclass
class PhoneCall:
    """A simulated call in progress or just over, kept by the web layer between pages."""

    sid: str
    direction: str  # "outbound" (the MRC called the phone) | "inbound" (the phone called)
    phone: str  # the simulated phone's number
    mrc_number: str
    base: str  # the app's own URL prefix: the only place the simulator posts to
    status_callback: str | None
    call_id: int | None = None
    contact_id: int | None = None
    answered_at: str | None = None  # ISO time, for the call's duration
    status: str = IN_PROGRESS
    duration: int | None = None
    pressed: str = ""  # keys pressed so far ("-" for silence)
    screen: Screen = field(default_factory=Screen)

    def to_dict(self) -> dict:
        """Plain values, for the signed session cookie."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PhoneCall:
        """The call `to_dict` wrote."""
        screen = data.get("screen") or {}
        said = [(str(verb), str(value)) for verb, value in screen.get("said", [])]
        return cls(**{**data, "screen": Screen(**{**screen, "said": said})})

    @property
    def over(self) -> bool:
        return self.status != IN_PROGRESS


@dataclass(frozen=True)
class Ringing:
    """An outbound call ringing at the simulated phone: where its TwiML and statuses go."""

    sid: str
    call_id: int
    contact_id: int | None
    phone: str
    mrc_number: str
    url: str
    status_callback: str | None
    amd_callback: str | None = None  # the campaign asked who answers: a person, here


def read_screen(xml: str, current_url: str) -> tuple[Screen, str | None]:
    """(what this TwiML says and awaits, a `<Redirect>` to follow at once or None)."""
    root = ElementTree.fromstring(xml)
    if root.tag != "Response":
        raise ValueError("not TwiML")
    screen = Screen()
    verbs = list(root)
    for index, verb in enumerate(verbs):
        if verb.tag in ("Say", "Play"):
            screen.said.append((verb.tag.lower(), (verb.text or "").strip()))
        elif verb.tag == "Gather":
            for inner in verb:
                if inner.tag in ("Say", "Play"):
                    screen.said.append((inner.tag.lower(), (inner.text or "").strip()))
            screen.gather = urljoin(current_url, verb.get("action") or current_url)
            empty = verb.get("actionOnEmptyResult", "false").lower() == "true"
            screen.on_silence = screen.gather if empty else _next_redirect(verbs[index + 1 :])
            return screen, None
        elif verb.tag == "Redirect":
            return screen, urljoin(current_url, (verb.text or "").strip())
        elif verb.tag == "Hangup":
            break
        elif verb.tag == "Reject":
            screen.end = "reject"
            return screen, None
    screen.end = "hangup"  # after its last verb Twilio ends the call
    return screen, None


def _next_redirect(verbs) -> str | None:
    for verb in verbs:
        if verb.tag == "Redirect":
            return (verb.text or "").strip()
    return None


def answer(phone: SimulatorProvider, ringing: Ringing, now: datetime) -> PhoneCall:
    """Pick up a ringing call: Twilio's `answered` callback, then the call's first TwiML."""
    parts = urlsplit(ringing.url)
    base = f"{parts.scheme}://{parts.netloc}"  # where the dialer told the provider to go
    call = PhoneCall(
        sid=ringing.sid,
        direction="outbound",
        phone=ringing.phone,
        mrc_number=ringing.mrc_number,
        base=base,
        status_callback=ringing.status_callback,
        call_id=ringing.call_id,
        contact_id=ringing.contact_id,
        answered_at=now.isoformat(),
    )
    _send_status(phone, call, IN_PROGRESS, now)
    call = _follow(phone, call, ringing.url, None, now)
    if ringing.amd_callback and not call.over:
        _tell_a_person_answered(phone, call, ringing.amd_callback)
    return call


def _tell_a_person_answered(phone: SimulatorProvider, call: PhoneCall, url: str) -> None:
    """Asynchronous machine detection's verdict, posted while the menu plays: staff at the
    simulator are a person."""
    form = {
        **_call_form(phone, call),
        "AnsweredBy": "human",
        "MachineDetectionDuration": "1200",
    }
    phone.deliver(url, form, phone.sign(url, form))


def ring_out(phone: SimulatorProvider, ringing: Ringing, now: datetime) -> None:
    """Let a call ring until the caller gives up: Twilio reports it `no-answer`."""
    call = PhoneCall(
        sid=ringing.sid,
        direction="outbound",
        phone=ringing.phone,
        mrc_number=ringing.mrc_number,
        base="",
        status_callback=ringing.status_callback,
    )
    _send_status(phone, call, NO_ANSWER, now, duration=0)


def dial(
    phone: SimulatorProvider,
    url: str,
    caller: str,
    mrc_number: str,
    status_callback: str | None,
    base: str,
    now: datetime,
    contact_id: int | None = None,
) -> PhoneCall:
    """Ring an MRC's number: the hotline's TwiML, answered unless it is a `<Reject>`."""
    call = PhoneCall(
        sid="CA" + uuid.uuid4().hex,
        direction="inbound",
        phone=caller,
        mrc_number=mrc_number,
        base=base,
        status_callback=status_callback,
        contact_id=contact_id,
        answered_at=now.isoformat(),
    )
    return _follow(phone, call, url, None, now, status="ringing")


def press(phone: SimulatorProvider, call: PhoneCall, key: str, now: datetime) -> PhoneCall:
    """Press a key at the awaited `<Gather>`; an empty key is silence until it times out."""
    if call.over:
        return call
    if key:
        if key not in KEYS or not call.screen.gather:
            raise ValueError(f"no key {key!r} can be pressed now")
        call.pressed += key
        return _follow(phone, call, call.screen.gather, key, now)
    call.pressed += "-"
    if call.screen.on_silence is None:
        return _end(phone, call, COMPLETED, now)
    digits = "" if call.screen.on_silence == call.screen.gather else None
    return _follow(phone, call, call.screen.on_silence, digits, now)


def hang_up(phone: SimulatorProvider, call: PhoneCall, now: datetime) -> PhoneCall:
    """Put the phone down: the call is `completed`, nothing more is posted to its TwiML."""
    if call.over:
        return call
    return _end(phone, call, COMPLETED, now)


def _follow(phone, call: PhoneCall, url: str, digits: str | None, now, status=IN_PROGRESS):
    """Post to `url` and follow its redirects; the call ends where its TwiML ends."""
    for _ in range(MAX_REDIRECTS):
        try:
            response = _post(phone, call, url, digits, status)
        except NotOurUrl:
            call.screen = Screen(end="error")
            return _end(phone, call, COMPLETED, now)
        if response.status_code != 200:
            call.screen = Screen(end="error")
            return _end(phone, call, COMPLETED, now)
        try:
            screen, redirect = read_screen(response.get_data(as_text=True), url)
        except (ElementTree.ParseError, ValueError):
            call.screen = Screen(end="error")
            return _end(phone, call, COMPLETED, now)
        call.screen = screen
        if redirect is None:
            break
        url, digits, status = redirect, None, IN_PROGRESS
    else:
        call.screen = Screen(end="error")
    if call.screen.end == "reject":
        return _end(phone, call, BUSY, now, duration=0)
    if call.screen.end is not None:
        return _end(phone, call, COMPLETED, now)
    return call


def _post(phone: SimulatorProvider, call: PhoneCall, url: str, digits: str | None, status: str):
    """Twilio's call form to one of the app's voice URLs, signed."""
    if not url.startswith(call.base.rstrip("/") + "/webhooks/twilio/voice"):
        raise NotOurUrl(url)
    form = {**_call_form(phone, call), "CallStatus": status}
    if digits is not None:
        form["Digits"] = digits
    return phone.deliver(url, form, phone.sign(url, form))


def _call_form(phone: SimulatorProvider, call: PhoneCall) -> dict:
    outbound = call.direction == "outbound"
    return {
        "AccountSid": phone.account_sid,
        "CallSid": call.sid,
        "From": call.mrc_number if outbound else call.phone,
        "To": call.phone if outbound else call.mrc_number,
        "Direction": "outbound-api" if outbound else "inbound",
        "ApiVersion": "2010-04-01",
    }


def _end(phone, call: PhoneCall, status: str, now: datetime, duration: int | None = None):
    if duration is None and call.answered_at:
        started = datetime.fromisoformat(call.answered_at)
        duration = max(0, round((now - started).total_seconds()))
    call.status, call.duration = status, duration
    _send_status(phone, call, status, now, duration)
    return call


def _send_status(phone, call: PhoneCall, status: str, now, duration: int | None = None) -> None:
    """One status callback, delivered before the page is drawn (as the SMS reply is)."""
    if not call.status_callback:
        return
    form = {
        **_call_form(phone, call),
        "CallStatus": status,
        "Timestamp": format_datetime(now, usegmt=True),
        "CallbackSource": "call-progress-events",
    }
    if duration is not None:
        form["CallDuration"] = str(duration)
    url = call.status_callback
    phone.deliver(url, form, phone.sign(url, form))
