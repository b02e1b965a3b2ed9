"""Provider → app voice webhooks: the hotline, and each call's TwiML and key presses. Signed.

Thin: each view turns Twilio's form into plain values, calls one function of `outreach.voice`,
commits, and answers its TwiML. They sit on the lean webhooks blueprint (no CSRF, limiter or
session).
"""

from __future__ import annotations

from flask import Response, current_app, request

from outreach.extensions import db
from outreach.messaging.simulator import SIMULATOR_STAFF_KEY
from outreach.models import MAX_ID, utcnow
from outreach.voice.answer import Answering, KeyPress, answer_call
from outreach.voice.flow import MAX_REPLAYS
from outreach.voice.hotline import InboundCall, answer_hotline, answer_language
from outreach.voice.twiml import hangup
from outreach.web.twilio_auth import require_signature
from outreach.web.webhooks import bp


@bp.post("/voice")
@require_signature
def voice_inbound():
    """A call to one of our numbers: the MRC's hotline menu, a missed call, or closed."""
    form = request.form
    call = InboundCall(
        sid=form.get("CallSid", ""), caller=form.get("From", ""), to=form.get("To", "")
    )
    if not call.sid:
        return _twiml(hangup())
    twiml = answer_hotline(db.session, call, utcnow(), _answering())
    db.session.commit()
    return _twiml(twiml)


@bp.post("/voice/call/<int:call_id>")
@bp.post("/voice/call/<int:call_id>/<node>")
@require_signature
def voice_call(call_id: int, node: str | None = None):
    """A call's first TwiML, or a key pressed at `node` (`Digits` empty: silence)."""
    if call_id > MAX_ID:
        return _twiml(hangup())
    press = KeyPress(
        call_id=call_id,
        node=node,
        digits=request.form.get("Digits", "").strip(),
        tries=_tries(),
        confirming=request.args.get("confirm") == "1",
        pressed_by=_simulator_staff(),
    )
    twiml = answer_call(db.session, press, utcnow(), _answering())
    db.session.commit()
    return _twiml(twiml)


@bp.post("/voice/hotline/<int:call_id>/language")
@require_signature
def voice_language(call_id: int):
    """A new hotline caller's choice of language."""
    if call_id > MAX_ID:
        return _twiml(hangup())
    digits = request.form.get("Digits", "").strip()
    twiml = answer_language(db.session, call_id, digits, _tries(), utcnow(), _answering())
    db.session.commit()
    return _twiml(twiml)


def _answering() -> Answering:
    config = current_app.config
    return Answering(
        base_url=config.get("PUBLIC_BASE_URL") or request.host_url,
        provider=config.get("OUTREACH_PROVIDER", "simulator"),
        config=config,
    )


def _tries() -> int:
    """Replays of the node so far, as our own URL said (bounded: a URL is only a hint)."""
    raw = request.args.get("tries", "0")
    return min(int(raw), MAX_REPLAYS) if raw.isdigit() and len(raw) < 3 else 0


def _simulator_staff() -> int | None:
    user_id = request.environ.get(SIMULATOR_STAFF_KEY)
    return user_id if isinstance(user_id, int) else None


def _twiml(twiml: str) -> Response:
    return Response(twiml, mimetype="application/xml")
