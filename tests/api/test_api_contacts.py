"""Contacts through the API: upsert one and many, search, history, opt-out and opt-in."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from outreach.extensions import db
from outreach.models import AuditEvent, ConsentEvent, Contact


def item(phone: str, region: str = "pk-isb", **extra) -> dict:
    return {"phone": phone, "region": region, "consent": {"source": "job fair"}, **extra}


@pytest.fixture
def isb(api, make_user):
    return api(make_user("coordinator", ["pk-isb"]))


def count_contacts() -> int:
    return db.session.execute(select(func.count()).select_from(Contact)).scalar_one()


def test_upsert_one_creates_then_updates(isb):
    created = isb.post("/api/v1/contacts", json=item("0300-123 4567", name="Ayesha"))
    assert created.status_code == 201
    body = created.get_json()
    assert body == {
        "id": body["id"],
        "phone": "+923001234567",
        "region": "pk-isb",
        "language": "ur",  # the region's first language
        "name": "Ayesha",
        "consent": "opted_in",
    }
    updated = isb.post("/api/v1/contacts", json=item("+92 300 1234567", language="Pashto"))
    assert updated.status_code == 200
    assert updated.get_json() == {**body, "language": "ps"}
    assert count_contacts() == 1


def test_the_consent_of_a_new_contact_is_recorded(isb):
    at = "2024-03-01T10:00:00+05:00"
    response = isb.post(
        "/api/v1/contacts", json={**item("03001234567"), "consent": {"source": "form", "at": at}}
    )
    contact_id = response.get_json()["id"]
    detail = isb.get(f"/api/v1/contacts/{contact_id}").get_json()
    [event] = detail["consent_events"]
    assert event["action"] == "opt_in" and event["channel"] == "api"
    assert event["source"] == "form" and event["user"].endswith("@mrc.test")
    assert event["at"] == "2024-03-01T05:00:00+00:00"
    assert datetime.fromisoformat(event["at"]).utcoffset() is not None


def test_upsert_many_with_mixed_fates(isb, make_contact, make_user, api):
    osh = make_contact(region_code="kg-osh", phone="+996555123456")
    opted_out = make_contact(phone="+923001112233")
    isb.post(f"/api/v1/contacts/{opted_out.id}/opt-out")
    known = make_contact(phone="+923004445566", name="Old name")
    body = [
        item("0300 7654321", name="Bilal"),  # 0 created
        item("+923004445566", name="New name"),  # 1 updated
        item("03007654321"),  # 2 the same number as item 0
        item("not a phone"),  # 3 invalid
        item("+923001112233"),  # 4 opted out stands
        item("+996555123456"),  # 5 held by Osh, invisible
        item("0555 123 457", region="kg-osh"),  # 6 region outside scope
        {"phone": "03009998877"},  # 7 missing fields
        "text",  # 8 not an object
        item("0300 9998877", language="Klingon"),  # 9 unknown language
        item("+44 7911 123456", language="en"),  # 10 abroad, created
    ]
    response = isb.post("/api/v1/contacts", json=body)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) == len(body)
    assert items[0]["phone"] == "+923007654321" and items[0]["name"] == "Bilal"
    assert items[1] == {**items[1], "id": known.id, "name": "New name"}
    codes = {i: items[i].get("error", {}).get("code") for i in range(len(items))}
    assert codes[2] == "duplicate_in_request"
    assert codes[3] == "validation_failed"
    assert items[3]["error"]["details"][0]["field"] == "phone"
    assert codes[4] == "opted_out"
    assert items[4]["error"]["message"] == "opted out, not re-subscribed"
    assert codes[5] == "number_unavailable"
    assert str(osh.id) not in str(items[5])
    assert codes[6] == "not_found"
    assert codes[7] == "validation_failed"
    assert {d["field"] for d in items[7]["error"]["details"]} == {"region", "consent"}
    assert codes[8] == "validation_failed"
    assert codes[9] == "validation_failed"
    assert items[10]["phone"] == "+447911123456" and items[10]["language"] == "en"
    db.session.expire_all()
    assert db.session.get(Contact, opted_out.id).consent == "opted_out"
    assert db.session.get(Contact, osh.id).region.code == "kg-osh"
    assert count_contacts() == 5


def test_a_single_bad_item_is_its_own_4xx(isb, make_contact):
    contact = make_contact(phone="+923001112233")
    isb.post(f"/api/v1/contacts/{contact.id}/opt-out", json={"source": "asked on the phone"})
    response = isb.post("/api/v1/contacts", json=item("+923001112233"))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "opted_out"
    assert isb.post("/api/v1/contacts", json=item("x")).status_code == 422
    assert isb.post("/api/v1/contacts", json=item("0300 1234567", region="xx")).status_code == 404


def test_a_thousand_contacts_in_one_request(isb):
    body = [item(f"+9230{n:08d}", name=f"Person {n}") for n in range(1000)]
    response = isb.post("/api/v1/contacts", json=body)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["phone"] for i in items] == [b["phone"] for b in body]
    assert all("error" not in i for i in items)
    assert count_contacts() == 1000
    again = isb.post("/api/v1/contacts", json=body)
    assert [i["id"] for i in again.get_json()["items"]] == [i["id"] for i in items]
    assert count_contacts() == 1000
    events = db.session.execute(select(func.count()).select_from(ConsentEvent)).scalar_one()
    assert events == 1000


def test_a_thousand_and_one_is_refused_whole(isb):
    body = [item(f"+9230{n:08d}") for n in range(1001)]
    response = isb.post("/api/v1/contacts", json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "too_many_items"
    assert count_contacts() == 0


def test_an_empty_list_is_an_empty_answer(isb):
    response = isb.post("/api/v1/contacts", json=[])
    assert response.status_code == 200 and response.get_json() == {"items": []}


def test_an_opt_out_stands_until_an_explicit_opt_in(isb):
    contact_id = isb.post("/api/v1/contacts", json=item("03001234567")).get_json()["id"]
    out = isb.post(f"/api/v1/contacts/{contact_id}/opt-out")  # empty body
    assert out.status_code == 200 and out.get_json()["consent"] == "opted_out"
    again = isb.post("/api/v1/contacts", json=item("03001234567"))
    assert again.status_code == 409
    assert isb.get(f"/api/v1/contacts/{contact_id}").get_json()["consent"] == "opted_out"
    refused = isb.post(f"/api/v1/contacts/{contact_id}/opt-in")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["field"] == "source"
    back = isb.post(
        f"/api/v1/contacts/{contact_id}/opt-in", json={"source": "called the MRC, asked to rejoin"}
    )
    assert back.status_code == 200 and back.get_json()["consent"] == "opted_in"
    events = isb.get(f"/api/v1/contacts/{contact_id}").get_json()["consent_events"]
    assert [(e["action"], e["source"]) for e in events] == [
        ("opt_in", "called the MRC, asked to rejoin"),
        ("opt_out", "api"),
        ("opt_in", "job fair"),
    ]


def test_opt_out_with_an_empty_json_object_or_a_source(isb, make_contact):
    contact = make_contact()
    assert isb.post(f"/api/v1/contacts/{contact.id}/opt-out", json={}).status_code == 200
    response = isb.post(f"/api/v1/contacts/{contact.id}/opt-out", json={"source": "STOP by phone"})
    assert response.status_code == 200


def test_viewing_a_contact_is_audited(isb, make_contact):
    contact = make_contact()
    assert isb.get(f"/api/v1/contacts/{contact.id}").status_code == 200
    audit = db.session.execute(select(AuditEvent)).scalars().all()
    assert [(a.action, a.object_id, a.details.get("channel")) for a in audit] == [
        ("contact.view", contact.id, "api")
    ]


def test_search_filters_and_pages(isb, make_contact):
    first = make_contact(lists=("Job fair",))
    others = [make_contact() for _ in range(4)]
    isb.post(f"/api/v1/contacts/{others[0].id}/opt-out")
    page = isb.get("/api/v1/contacts?per_page=2&page=2").get_json()
    assert page["total"] == 5 and page["page"] == 2 and len(page["items"]) == 2
    beyond = isb.get("/api/v1/contacts?per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["total"] == 5
    out = isb.get("/api/v1/contacts?consent=opted_out").get_json()
    assert [c["id"] for c in out["items"]] == [others[0].id]
    list_id = first.lists[0].id
    listed = isb.get(f"/api/v1/contacts?list={list_id}").get_json()
    assert [c["id"] for c in listed["items"]] == [first.id]
    found = isb.get("/api/v1/contacts", query_string={"phone": first.phone}).get_json()
    assert [c["id"] for c in found["items"]] == [first.id]
    plus_as_space = isb.get(f"/api/v1/contacts?phone={first.phone}").get_json()
    assert [c["id"] for c in plus_as_space["items"]] == [first.id]
    assert isb.get("/api/v1/contacts?region=pk-isb").get_json()["total"] == 5
    assert isb.get("/api/v1/contacts?region=nowhere").get_json()["total"] == 0


def test_regions_are_those_the_user_sees(api, make_user):
    isb = api(make_user("coordinator", ["pk-isb", "pk-lhr"]))
    assert isb.get("/api/v1/regions").get_json() == {
        "items": [
            {
                "code": "pk-isb",
                "name": isb.get("/api/v1/regions").get_json()["items"][0]["name"],
                "country": "PK",
                "timezone": "Asia/Karachi",
                "languages": ["ur", "ps", "en"],
                "phone": None,
                "sender_number": None,
                "window": {"start": "09:00", "end": "20:00"},
                "counsellor_hours": {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"},
                "hotline": "menu",
            },
            isb.get("/api/v1/regions").get_json()["items"][1],
        ]
    }
    assert [r["code"] for r in isb.get("/api/v1/regions").get_json()["items"]] == [
        "pk-isb",
        "pk-lhr",
    ]
    admin = api(make_user("admin", []))
    codes = [r["code"] for r in admin.get("/api/v1/regions").get_json()["items"]]
    assert {"pk-isb", "kg-osh", "uz-tas", "af-virtual"} <= set(codes)
