"""Provider → app webhooks: inbound SMS and calls, and status callbacks. All signed."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from outreach.extensions import csrf, db, limiter
from outreach.messaging.campaign_reply import answer_sms
from outreach.messaging.inbound import InboundSms
from outreach.messaging.provider import ProviderError
from outreach.messaging.registry import app_provider
from outreach.messaging.simulator import SIMULATOR_STAFF_KEY
from outreach.messaging.status import apply_sms_status
from outreach.models import utcnow
from outreach.voice.status import CallEvent, apply_amd, apply_call_status
from outreach.voice.voicemail import voicemail_twiml
from outreach.web.twilio_auth import require_signature

log = logging.getLogger(__name__)

# A machine calling with a signature, not a person with a browser: no CSRF token, no rate limit
# (a burst of replies after a campaign is normal), and no session (see `web/sessions.py`). The
# exemptions say so here; `web/lean.py` goes further: the app-wide hooks do not even run.
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
csrf.exempt(bp)
limiter.exempt(bp)


@bp.post("/sms/status")
@require_signature
def sms_status():
    """A message status callback: statuses only move forward; repeats change nothing."""
    form = request.form
    apply_sms_status(
        db.session,
        request.args.get("m"),
        form.get("MessageSid") or form.get("SmsSid"),
        form.get("MessageStatus") or form.get("SmsStatus") or "",
        form.get("ErrorCode") or None,
        utcnow(),
    )
    db.session.commit()
    return "", 204


@bp.post("/sms")
@require_signature
def sms_inbound():
    """An inbound SMS: recorded, acted on, answered with TwiML in the contact's language."""
    form = request.form
    sms = InboundSms(
        sid=form.get("MessageSid") or form.get("SmsSid"),
        sender=form.get("From", ""),
        to=form.get("To", ""),
        body=form.get("Body", ""),
        typed_by=_simulator_staff(),
    )
    if not sms.sender:
        abort(400, "an inbound SMS needs From")
    reply = answer_sms(db.session, sms, utcnow())
    db.session.commit()
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return Response(str(twiml), mimetype="application/xml")


def _simulator_staff() -> int | None:
    """The staff member behind a reply typed in the phone simulator; None for a real SMS."""
    user_id = request.environ.get(SIMULATOR_STAFF_KEY)
    return user_id if isinstance(user_id, int) else None


@bp.post("/voice/status")
@require_signature
def voice_status():
    """A call status callback (outbound or hotline): only forward; repeats and callbacks of an
    earlier attempt change nothing of the current one."""
    form = request.form
    event = CallEvent(
        sid=form.get("CallSid"),
        status=form.get("CallStatus", ""),
        call_id=request.args.get("c"),
        attempt=request.args.get("a"),
        duration=form.get("CallDuration") or form.get("Duration"),
        answered_by=form.get("AnsweredBy"),
        timestamp=form.get("Timestamp"),
    )
    apply_call_status(db.session, event, utcnow())
    db.session.commit()
    return "", 204


@bp.post("/voice/amd")
@require_signature
def voice_amd():
    """Asynchronous machine detection: a machine gets the voicemail or is hung up on, as the
    campaign asks; the change to the live call goes out after the answer is recorded."""
    sid = request.form.get("CallSid")
    action, call = apply_amd(db.session, sid, request.form.get("AnsweredBy"), utcnow())
    twiml = None
    if action == "message":
        twiml = voicemail_twiml(
            db.session, call, current_app.config["OUTREACH_PROVIDER"], current_app.config
        )
    db.session.commit()
    if action in ("message", "hangup"):
        _update_live_call(sid, twiml)
    return "", 204


def _update_live_call(sid: str, twiml: str | None) -> None:
    """Play the voicemail on the call, or end it; a call already over cannot be changed."""
    provider = app_provider(current_app)
    try:
        if twiml is not None:
            provider.update_call(sid, twiml=twiml)
        else:
            provider.update_call(sid, status="completed")
    except ProviderError as error:
        log.warning("could not change live call %s: %s", sid, error.message)
