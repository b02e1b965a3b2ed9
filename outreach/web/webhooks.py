"""Provider → app webhooks: inbound SMS and calls, and status callbacks. All signed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from twilio.twiml.messaging_response import MessagingResponse

from outreach.extensions import csrf, db, limiter
from outreach.messaging.campaign_reply import answer_sms
from outreach.messaging.inbound import InboundSms
from outreach.messaging.simulator import SIMULATOR_STAFF_KEY
from outreach.messaging.status import apply_sms_status
from outreach.models import utcnow
from outreach.web.twilio_auth import require_signature

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
