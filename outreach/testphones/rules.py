"""Whom staff may reach with a test send, and as whom the phone simulator may answer.

With real phones (the Twilio provider) both are registered test phones only: staff never speak
for a migrant, and a test text never reaches a stranger. With the built-in simulator nothing
leaves the machine, so a contact of the user's own regions may be answered as (that is what the
simulator is for) and a test may go to any mobile number that is not someone else's contact.
Either way another region's contacts and opted-out contacts are out of reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.contacts.phones import sms_number_problem
from outreach.contacts.service import get_contact
from outreach.errors import Forbidden, NotFound, ValidationFailed
from outreach.messaging.conversation import phone_conversation
from outreach.models import Contact, TestPhone
from outreach.testphones.service import find_usable_test_phone

REAL_PHONES_ONLY_TEST_PHONES = (
    "with real phones the simulator answers only as a registered test phone, never as a contact"
)
NOT_A_TEST_PHONE = (
    "with real phones, test messages go only to the registered test phones of your regions"
)
NOT_YOURS = "this number cannot receive test messages from you"
OPTED_OUT = "this number is a contact who opted out: they receive no test messages"


@dataclass(frozen=True)
class SimulatedPhone:
    """The phone the simulator answers as: a contact's, a test phone, or a demo number."""

    phone: str
    contact: Contact | None = None
    test_phone: TestPhone | None = None


def phone_to_answer_as(
    session: Session, scope: Scope, contact_id: int | None, phone: str, *, real_phones: bool
) -> SimulatedPhone:
    """The phone this user may answer as in the simulator; NotFound or Forbidden otherwise."""
    if contact_id is not None:
        contact = get_contact(session, scope, contact_id)
    else:
        contact = contact_with_number(session, phone)
        if contact is not None:
            scope.check(contact.region_id, "phone")
    if contact is not None:
        if real_phones:
            raise Forbidden(REAL_PHONES_ONLY_TEST_PHONES)
        return SimulatedPhone(contact.phone, contact=contact)
    test_phone = find_usable_test_phone(session, scope, phone)
    if test_phone is not None:
        return SimulatedPhone(phone, test_phone=test_phone)
    # A number that is no one's contact and got a test send in the user's regions (the demo).
    if not real_phones and phone_conversation(session, scope, phone, limit=1):
        return SimulatedPhone(phone)
    raise NotFound("phone not found")


def check_test_recipient(session: Session, scope: Scope, phone: str, *, real_phones: bool) -> None:
    """Refuse a test send to a number that is not a mobile, not the user's to reach, or opted out.

    With real phones only a test phone the user may use is accepted, so every other number gets
    the same answer and nothing is told about whose it is.
    """
    problem = sms_number_problem(phone)
    if problem:
        raise _refused(problem, "not_mobile")
    if real_phones and find_usable_test_phone(session, scope, phone) is None:
        raise _refused(NOT_A_TEST_PHONE, "not_a_test_phone")
    contact = contact_with_number(session, phone)
    if contact is None:
        return
    if not scope.allows(contact.region_id):
        raise _refused(NOT_YOURS, "not_allowed")
    if not contact.is_opted_in:
        raise _refused(OPTED_OUT, "opted_out")


def contact_with_number(session: Session, phone: str) -> Contact | None:
    """The contact (of any region) with this E.164 number, if there is one."""
    return session.execute(select(Contact).where(Contact.phone == phone)).scalar_one_or_none()


def _refused(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, {"field": "phone"}, code=code)


def reaches_real_phones(config) -> bool:
    """Whether the configured provider reaches real phones (anything but the built-in one)."""
    return config.get("OUTREACH_PROVIDER", "simulator") != "simulator"
