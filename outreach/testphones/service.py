"""The register of test phones: admins add and remove them; staff use those of their regions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.audit import record_audit
from outreach.contacts.phones import mask_phone, normalise_phone, sms_number_problem
from outreach.errors import Conflict, NotFound, ValidationFailed
from outreach.models import Contact, TestPhone, User
from outreach.permissions import Action, check
from outreach.regions import region_by_code


@dataclass(frozen=True)
class TestPhoneInput:
    """What an admin types: the number, a label, and the region and/or member of staff."""

    __test__ = False  # not a pytest test class

    phone: str
    label: str
    region_code: str | None = None
    owner_email: str | None = None


def usable_test_phones(session: Session, scope: Scope) -> list[TestPhone]:
    """The test phones this user may use: their regions' and their own (every one for admins)."""
    return list(session.execute(_usable(scope).order_by(TestPhone.label, TestPhone.id)).scalars())


def find_usable_test_phone(session: Session, scope: Scope, phone: str) -> TestPhone | None:
    """The test phone with this E.164 number, if this user may use it."""
    return session.execute(_usable(scope).where(TestPhone.phone == phone)).scalar_one_or_none()


def _usable(scope: Scope):
    stmt = select(TestPhone)
    if scope.is_admin:
        return stmt
    mine = TestPhone.owner_id == scope.user_id if scope.user_id is not None else False
    return stmt.where(or_(TestPhone.region_id.in_(scope.region_ids), mine))


def add_test_phone(
    session: Session, scope: Scope, data: TestPhoneInput, now: datetime
) -> TestPhone:
    """Register a staff phone; never a contact's number, and only a mobile."""
    _require_admin(scope)
    problems: dict[str, str] = {}
    label = " ".join((data.label or "").split())
    if not 1 <= len(label) <= 120:
        problems["label"] = "a label of 1 to 120 characters, e.g. whose phone it is"
    region = _region(session, scope, data.region_code, problems)
    owner = _owner(session, data.owner_email, problems)
    if region is None and owner is None and "region" not in problems and "owner" not in problems:
        problems["region"] = "choose the region that may use it, its owner, or both"
    phone = _phone(data.phone, region, problems)
    if problems:
        raise ValidationFailed("the test phone has problems", problems)
    _check_free(session, phone)
    test_phone = TestPhone(
        phone=phone,
        label=label,
        region_id=region.id if region else None,
        owner_id=owner.id if owner else None,
        created_by_id=scope.user_id,
        created_at=now,
    )
    session.add(test_phone)
    session.flush()
    record_audit(
        session,
        scope.user_id,
        "test_phone.add",
        "test_phone",
        test_phone.id,
        phone=mask_phone(phone),
    )
    return test_phone


def remove_test_phone(session: Session, scope: Scope, test_phone_id: int) -> TestPhone:
    """Take a test phone off the register; the messages it received stay."""
    _require_admin(scope)
    test_phone = session.get(TestPhone, test_phone_id)
    if test_phone is None:
        raise NotFound("test phone not found")
    record_audit(
        session,
        scope.user_id,
        "test_phone.remove",
        "test_phone",
        test_phone.id,
        phone=mask_phone(test_phone.phone),
        label=test_phone.label,
    )
    session.delete(test_phone)
    session.flush()
    return test_phone


def _require_admin(scope: Scope) -> None:
    check(scope.role, Action.TEST_PHONES_EDIT)


def _region(session, scope, code: str | None, problems: dict):
    if not (code or "").strip():
        return None
    try:
        return region_by_code(session, scope, code.strip())
    except NotFound:
        problems["region"] = f"unknown region {code!r}"
        return None


def _owner(session, email: str | None, problems: dict) -> User | None:
    if not (email or "").strip():
        return None
    owner = session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if owner is None or not owner.is_active:
        problems["owner"] = "no active member of staff has that email"
    return owner


def _phone(raw: str, region, problems: dict) -> str:
    """E.164; a local number is read as one of the region's country."""
    try:
        phone = normalise_phone(raw, region.country if region else "ZZ")
    except ValidationFailed as exc:
        problems["phone"] = f"{exc.message} (write it with its country code, e.g. +92…)"
        return ""
    problem = sms_number_problem(phone)
    if problem:
        problems["phone"] = problem
    return phone


def _check_free(session: Session, phone: str) -> None:
    if session.execute(select(Contact.id).where(Contact.phone == phone)).first():
        raise Conflict(
            "that number is a contact's: a contact's phone is never a test phone",
            {"field": "phone"},
        )
    if session.execute(select(TestPhone.id).where(TestPhone.phone == phone)).first():
        raise Conflict("that number is a test phone already", {"field": "phone"})
