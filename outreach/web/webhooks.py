"""Provider → app webhooks: inbound SMS and calls, and status callbacks. All signed."""

from __future__ import annotations

from flask import Blueprint, request

from outreach.extensions import csrf, db
from outreach.messaging.status import apply_sms_status
from outreach.models import utcnow
from outreach.web.twilio_auth import require_signature

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/twilio")
csrf.exempt(bp)


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
