"""A caller that behaves like Twilio: it fetches a call's TwiML, says what it says, and follows
`<Gather action>` and `<Redirect>` with `Digits`, `CallSid` and `CallStatus`, signed with
twilio's `RequestValidator` exactly as Twilio signs (`PUBLIC_BASE_URL` + path + query + form).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

ACCOUNT = "AC" + "0" * 32


@dataclass
class Heard:
    """One TwiML answer, read as a phone would hear it."""

    status: int
    xml: str
    spoken: list[tuple[str, str]] = field(default_factory=list)  # ("say", text) | ("play", url)
    gather: str | None = None  # the action of its <Gather>
    redirect: str | None = None
    hangup: bool = False
    reject: str | None = None
    first_verb: str | None = None

    @property
    def texts(self) -> list[str]:
        return [text for verb, text in self.spoken if verb == "say"]


def read_twiml(status: int, xml: str) -> Heard:
    """What a phone hears in this TwiML."""
    heard = Heard(status=status, xml=xml)
    if status != 200:
        return heard
    root = ElementTree.fromstring(xml)
    assert root.tag == "Response", xml
    verbs = list(root)
    heard.first_verb = verbs[0].tag if verbs else None
    for verb in verbs:
        if verb.tag == "Gather":
            heard.gather = verb.get("action")
            for inner in verb:
                heard.spoken.append((inner.tag.lower(), (inner.text or "").strip()))
        elif verb.tag in ("Say", "Play"):
            heard.spoken.append((verb.tag.lower(), (verb.text or "").strip()))
        elif verb.tag == "Redirect":
            heard.redirect = (verb.text or "").strip()
        elif verb.tag == "Hangup":
            heard.hangup = True
        elif verb.tag == "Reject":
            heard.reject = verb.get("reason")
    return heard


class Walker:
    """One phone call through the app's webhooks, as Twilio makes it."""

    def __init__(self, client, auth_token: str, caller: str, to: str, sid: str | None = None):
        self.client = client
        self.validator = RequestValidator(auth_token)
        self.caller, self.to = caller, to
        self.sid = sid or "CA" + uuid.uuid4().hex
        self.heard: list[Heard] = []

    def post(self, url: str, digits: str | None = None) -> Heard:
        """POST Twilio's call form to `url` (with `Digits` when given), signed; what is heard."""
        form = {
            "AccountSid": ACCOUNT,
            "CallSid": self.sid,
            "CallStatus": "in-progress",
            "From": self.caller,
            "To": self.to,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        if digits is not None:
            form["Digits"] = digits
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, form)}
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(path, data=form, headers=headers)
        heard = read_twiml(response.status_code, response.get_data(as_text=True))
        self.heard.append(heard)
        while heard.redirect:  # Twilio follows a <Redirect> at once, without a key
            heard = self.post(heard.redirect)
        return heard

    def press(self, heard: Heard, digits: str) -> Heard:
        """Press `digits` (empty: let the gather time out) at the gather `heard` ended on."""
        assert heard.gather, f"no <Gather> to press {digits!r} at: {heard.xml}"
        return self.post(heard.gather, digits)
