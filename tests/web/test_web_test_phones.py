"""The admin's Test phones page: add and remove staff phones, audited; nobody else may."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from outreach.extensions import db
from outreach.models import AuditEvent, TestPhone

PAGE = "/settings/test-phones"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin", [])
    login(user)
    return user


def _phones() -> list[TestPhone]:
    return list(db.session.execute(select(TestPhone).order_by(TestPhone.id)).scalars())


def _audits() -> list[tuple[str, int | None, int | None]]:
    rows = db.session.execute(
        select(AuditEvent).where(AuditEvent.action.like("test_phone.%")).order_by(AuditEvent.id)
    ).scalars()
    return [(a.action, a.user_id, a.object_id) for a in rows]


def test_an_admin_adds_and_removes_a_test_phone_audited(client, admin, make_user):
    owner = make_user("coordinator", ["kg-osh"])
    assert "Test phones" in _text(client.get("/"))
    added = client.post(
        PAGE,
        data={
            "phone": "0700 111 222",
            "label": " Aibek's  phone ",
            "region": "kg-osh",
            "owner": owner.email.upper(),
        },
    )
    assert added.status_code == 302, _text(added)
    [phone] = _phones()
    assert (phone.phone, phone.label, phone.region.code, phone.owner_id, phone.created_by_id) == (
        "+996700111222",
        "Aibek's phone",
        "kg-osh",
        owner.id,
        admin.id,
    )
    page = _text(client.get(PAGE))
    assert "+996700111222" in page and owner.email in page and admin.email in page
    removed = client.post(f"{PAGE}/{phone.id}/delete")
    assert removed.status_code == 302
    assert _phones() == []
    assert _audits() == [
        ("test_phone.add", admin.id, phone.id),
        ("test_phone.remove", admin.id, phone.id),
    ]
    assert client.post(f"{PAGE}/{phone.id}/delete").status_code == 404
    assert client.post(f"{PAGE}/{2**63}/delete").status_code == 404


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"phone": "+92 300 1000001"}, "a contact's phone is never a test phone"),
        ({"phone": "+9290012345"}, "a premium-rate number cannot receive text messages"),
        ({"phone": "+922123456789"}, "a landline cannot receive text messages"),
        ({"phone": "12"}, "not a valid number"),
        ({"region": ""}, "choose the region that may use it, its owner, or both"),
        ({"owner": "nobody@mrc.test", "region": ""}, "no active member of staff has that email"),
        ({"label": ""}, "a label of 1 to 120 characters"),
    ],
)
def test_what_cannot_be_a_test_phone(client, admin, make_contact, form, problem):
    make_contact("pk-isb", phone="+923001000001")
    data = {"phone": "+923001110001", "label": "Work phone", "region": "pk-isb", **form}
    response = client.post(PAGE, data=data)
    assert response.status_code == 422
    assert problem in _text(response)
    assert _phones() == [] and _audits() == []


def test_a_number_is_registered_once(client, admin):
    data = {"phone": "+923001110001", "label": "Work phone", "region": "pk-isb"}
    assert client.post(PAGE, data=data).status_code == 302
    again = client.post(PAGE, data={**data, "region": "pk-lhr"})
    assert again.status_code == 422 and "a test phone already" in _text(again)
    assert len(_phones()) == 1


@pytest.mark.parametrize("role", ["coordinator", "counsellor"])
def test_only_admins_manage_test_phones(client, make_user, login, role):
    login(make_user(role, ["pk-isb"]))
    assert client.get(PAGE).status_code == 403
    data = {"phone": "+923001110001", "label": "Mine", "region": "pk-isb"}
    assert client.post(PAGE, data=data).status_code == 403
    assert _phones() == []
