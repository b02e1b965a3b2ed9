"""No membership oracle: adding another MRC's number tells nothing of that MRC or that contact.

The refusal is the one given for any number the caller may not use (an MRC's own hotline or
sender number is the other kind), so a hostile coordinator cannot tell them apart, nor learn
which region holds a number, its id, name or consent.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.extensions import db
from outreach.models import Contact, Region

OSH_NUMBER = "+996555123456"
OSH_OPTED_OUT = "+996555123457"
MRC_NUMBER = "+992930000001"  # Dushanbe's sender number in these tests


@pytest.fixture
def world(api, make_user, make_contact, region):
    """A Lahore coordinator, two Osh contacts (one opted out), Dushanbe's own sender number."""
    osh = api(make_user("coordinator", ["kg-osh"]))
    make_contact(region_code="kg-osh", phone=OSH_NUMBER, name="Aibek")
    opted_out = make_contact(region_code="kg-osh", phone=OSH_OPTED_OUT, name="Gulnara")
    assert osh.post(f"/api/v1/contacts/{opted_out.id}/opt-out").status_code == 200
    region("tj-dyu").sender_number = "+992 93 000 0001"
    db.session.commit()
    return api(make_user("coordinator", ["pk-lhr"]))


def _item(phone: str) -> dict:
    return {"phone": phone, "region": "pk-lhr", "name": "Test", "consent": {"source": "x"}}


def _secrets() -> list[str]:
    """What the Lahore coordinator must not learn: other regions and the Osh contacts."""
    found = []
    for r in db.session.execute(select(Region).where(Region.code != "pk-lhr")).scalars():
        found += [r.code, r.name]
    for c in db.session.execute(select(Contact)).scalars():
        found += [str(c.id), c.name or ""]
    return [s for s in found if s] + ["elsewhere", "another", "exists", "opted"]


def test_another_mrcs_number_or_contact_gets_the_answer_any_unusable_one_gets(world):
    response = world.post(
        "/api/v1/contacts", json=[_item(OSH_NUMBER), _item(OSH_OPTED_OUT), _item(MRC_NUMBER)]
    )
    assert response.status_code == 200
    errors = [item["error"] for item in response.get_json()["items"]]
    assert errors[0] == errors[1] == errors[2]
    assert errors[0]["code"] == "number_unavailable" and errors[0]["details"] is None
    text = response.get_data(as_text=True).lower()
    assert [s for s in _secrets() if s.lower() in text] == []

    one = [world.post("/api/v1/contacts", json=_item(n)) for n in (OSH_NUMBER, MRC_NUMBER)]
    assert [r.status_code for r in one] == [409, 409]
    assert one[0].get_json() == one[1].get_json()

    db.session.expire_all()
    osh = db.session.execute(select(Contact).where(Contact.phone == OSH_NUMBER)).scalar_one()
    assert (osh.region.code, osh.name, osh.consent) == ("kg-osh", "Aibek", "opted_in")
    assert db.session.execute(select(Contact).where(Contact.phone == MRC_NUMBER)).first() is None
    _list_member_add_tells_as_little(world, osh)


def _list_member_add_tells_as_little(world, osh: Contact) -> None:
    """Another MRC's contact put in a list is answered as an id that does not exist."""
    mine = world.post("/api/v1/lists", json={"region": "pk-lhr", "name": "Returnees"})
    list_id = mine.get_json()["id"]
    unknown = 1 + max(db.session.execute(select(Contact.id)).scalars())
    bodies = []
    for cid in (osh.id, unknown):
        answer = world.post(f"/api/v1/lists/{list_id}/contacts", json={"contact_ids": [cid]})
        assert answer.status_code == 404
        bodies.append(answer.get_data(as_text=True).replace(str(cid), "ID"))
    assert bodies[0] == bodies[1]
