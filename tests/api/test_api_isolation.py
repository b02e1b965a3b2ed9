"""Region isolation through the API: another MRC's records are not found, never shown."""

from __future__ import annotations

import pytest

from outreach.extensions import db
from outreach.models import Contact


@pytest.fixture
def isb(api, make_user):
    return api(make_user("coordinator", ["pk-isb"]))


@pytest.fixture
def osh_contact(make_contact):
    return make_contact(region_code="kg-osh", phone="+996555123456", language="ky", name="Aibek")


def test_a_contact_of_another_region_is_404(isb, osh_contact):
    response = isb.get(f"/api/v1/contacts/{osh_contact.id}")
    assert response.status_code == 404
    assert "Aibek" not in response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_list_never_shows_it(isb, osh_contact, make_contact):
    mine = make_contact()
    page = isb.get("/api/v1/contacts?per_page=500").get_json()
    assert [c["id"] for c in page["items"]] == [mine.id] and page["total"] == 1
    assert isb.get("/api/v1/contacts?region=kg-osh").get_json()["items"] == []
    by_phone = isb.get("/api/v1/contacts", query_string={"phone": osh_contact.phone})
    assert by_phone.get_json()["items"] == []


def test_upserting_into_the_other_region_is_an_item_error(isb, osh_contact):
    body = [
        {"phone": "0555 111 222", "region": "kg-osh", "consent": {"source": "x"}},
        {"phone": osh_contact.phone, "region": "pk-isb", "consent": {"source": "x"}},
    ]
    items = isb.post("/api/v1/contacts", json=body).get_json()["items"]
    assert items[0]["error"]["code"] == "not_found"
    assert items[1]["error"]["code"] == "number_unavailable"
    db.session.expire_all()
    contact = db.session.get(Contact, osh_contact.id)
    assert (contact.region.code, contact.name) == ("kg-osh", "Aibek")


def test_an_opted_out_contact_of_another_region_tells_nothing(isb, api, make_user, osh_contact):
    osh = api(make_user("coordinator", ["kg-osh"]))
    assert osh.post(f"/api/v1/contacts/{osh_contact.id}/opt-out").status_code == 200
    body = {"phone": osh_contact.phone, "region": "pk-isb", "consent": {"source": "x"}}
    response = isb.post("/api/v1/contacts", json=body)
    assert response.get_json()["error"]["code"] == "number_unavailable"
    assert str(osh_contact.id) not in response.get_data(as_text=True)


def test_consent_changes_of_the_other_region_are_404(isb, osh_contact):
    assert isb.post(f"/api/v1/contacts/{osh_contact.id}/opt-out").status_code == 404
    response = isb.post(f"/api/v1/contacts/{osh_contact.id}/opt-in", json={"source": "x"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Contact, osh_contact.id).consent == "opted_in"


def test_lists_of_the_other_region_are_invisible(isb, api, make_user, osh_contact, make_contact):
    osh = api(make_user("coordinator", ["kg-osh"]))
    osh_list = osh.post("/api/v1/lists", json={"region": "kg-osh", "name": "Returnees"})
    assert osh_list.status_code == 201
    list_id = osh_list.get_json()["id"]
    assert isb.get(f"/api/v1/lists/{list_id}").status_code == 404
    assert isb.get("/api/v1/lists").get_json() == {"items": []}
    assert isb.get("/api/v1/lists?region=kg-osh").status_code == 404
    mine = make_contact()
    add = isb.post(f"/api/v1/lists/{list_id}/contacts", json={"contact_ids": [mine.id]})
    assert add.status_code == 404
    response = isb.post("/api/v1/lists", json={"region": "kg-osh", "name": "Mine now"})
    assert response.status_code == 404
    assert isb.get(f"/api/v1/contacts?list={list_id}").get_json()["items"] == []
