"""Recording audited actions on personal data."""

from __future__ import annotations

from sqlalchemy.orm import Session

from outreach.models import AuditEvent, utcnow


def record_audit(
    session: Session,
    user_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None = None,
    **details: object,
) -> AuditEvent:
    """Add an audit event (`contact.view`, `contacts.export`, `consent.opt_out`, …)."""
    event = AuditEvent(
        user_id=user_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        at=utcnow(),
    )
    session.add(event)
    return event
