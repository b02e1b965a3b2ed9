"""Lists through the API."""

from __future__ import annotations

import pytest


@pytest.fixture
def isb(api, make_user):
    return api(make_user("coordinator", ["pk-isb", "pk-lhr"]))


def test_create_read_and_fill_a_list(isb, make_contact):
    created = isb.post(
        "/api/v1/lists",
        json={"region": "pk-isb", "name": "  Job   fair ", "description": "March"},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert (body["name"], body["region"], body["contacts"]) == ("Job fair", "pk-isb", 0)
    assert body["created_at"].endswith("+00:00")
    list_id = body["id"]
    contacts = [make_contact() for _ in range(3)]
    ids = [c.id for c in contacts]
    added = isb.post(f"/api/v1/lists/{list_id}/contacts", json={"contact_ids": ids[:2]})
    assert added.status_code == 200
    assert added.get_json()["added"] == 2 and added.get_json()["list"]["contacts"] == 2
    again = isb.post(f"/api/v1/lists/{list_id}/contacts", json={"contact_ids": ids + ids})
    assert again.get_json()["added"] == 1 and again.get_json()["list"]["contacts"] == 3
    assert isb.get(f"/api/v1/lists/{list_id}").get_json()["contacts"] == 3
    listed = isb.get("/api/v1/lists?region=pk-isb").get_json()["items"]
    assert [(i["id"], i["contacts"]) for i in listed] == [(list_id, 3)]
    assert isb.get("/api/v1/lists?region=pk-lhr").get_json()["items"] == []


def test_a_list_name_is_unique_per_region(isb):
    assert isb.post("/api/v1/lists", json={"region": "pk-isb", "name": "A"}).status_code == 201
    clash = isb.post("/api/v1/lists", json={"region": "pk-isb", "name": "A"})
    assert clash.status_code == 409
    assert isb.post("/api/v1/lists", json={"region": "pk-lhr", "name": "A"}).status_code == 201


def test_adding_is_all_or_nothing(isb, make_contact):
    list_id = isb.post("/api/v1/lists", json={"region": "pk-isb", "name": "A"}).get_json()["id"]
    mine = make_contact()
    lahore = make_contact(region_code="pk-lhr")
    osh = make_contact(region_code="kg-osh", phone="+996555123456")
    unknown = isb.post(
        f"/api/v1/lists/{list_id}/contacts", json={"contact_ids": [mine.id, osh.id, 999999]}
    )
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["details"] == {"contact_ids": sorted([osh.id, 999999])}
    other_region = isb.post(
        f"/api/v1/lists/{list_id}/contacts", json={"contact_ids": [mine.id, lahore.id]}
    )
    assert other_region.status_code == 422
    assert isb.get(f"/api/v1/lists/{list_id}").get_json()["contacts"] == 0
