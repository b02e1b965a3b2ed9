"""Registering test phones in tests, as an admin would on the Test phones page."""

from __future__ import annotations

from outreach.access import Scope
from outreach.extensions import db
from outreach.models import TestPhone, utcnow
from outreach.testphones.service import TestPhoneInput, add_test_phone


def register_test_phone(
    phone: str, region_code: str | None = None, owner=None, label: str = "Staff phone"
) -> TestPhone:
    """A committed test phone of a region, of one member of staff, or of both."""
    data = TestPhoneInput(phone, label, region_code, owner.email if owner else None)
    test_phone = add_test_phone(db.session, Scope.everything(), data, utcnow())
    db.session.commit()
    return test_phone
