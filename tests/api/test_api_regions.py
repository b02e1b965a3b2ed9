"""Changing a region through the API: admins only, validated, the new fields in the list."""

from __future__ import annotations

import pytest


def test_an_admin_changes_a_region(api, make_user):
    admin = api(make_user("admin", []))
    body = {
        "name": "MRC Osh (south)",
        "phone": "+996 3222 55555",
        "sender_number": "+996312555555",
        "languages": ["ky", "uz", "Русский"],
        "window": {"start": "08:30", "end": "21:00"},
        "counsellor_hours": {"days": [0, 1, 2, 3, 5], "start": "10:00", "end": "18:00"},
        "hotline": "missed_call",
    }
    response = admin.patch("/api/v1/regions/kg-osh", json=body)
    assert response.status_code == 200, response.get_json()
    out = response.get_json()
    assert out == {
        "code": "kg-osh",
        "name": "MRC Osh (south)",
        "country": "KG",
        "timezone": "Asia/Bishkek",
        "languages": ["ky", "uz", "ru"],
        "phone": "+996 3222 55555",
        "sender_number": "+996312555555",
        "window": {"start": "08:30", "end": "21:00"},
        "counsellor_hours": {"days": [0, 1, 2, 3, 5], "start": "10:00", "end": "18:00"},
        "hotline": "missed_call",
    }
    listed = {r["code"]: r for r in admin.get("/api/v1/regions").get_json()["items"]}
    assert listed["kg-osh"] == out


def test_fields_not_given_stay_and_numbers_can_be_cleared(api, make_user):
    admin = api(make_user("admin", []))
    admin.patch("/api/v1/regions/pk-isb", json={"sender_number": "+925111110000"})
    out = admin.patch("/api/v1/regions/pk-isb", json={"hotline": "off"}).get_json()
    assert (out["sender_number"], out["hotline"], out["languages"]) == (
        "+925111110000",
        "off",
        ["ur", "ps", "en"],
    )
    out = admin.patch("/api/v1/regions/pk-isb", json={"sender_number": None}).get_json()
    assert out["sender_number"] is None and out["hotline"] == "off"


@pytest.mark.parametrize("role", ["coordinator", "counsellor"])
def test_only_admins_may_change_a_region(api, make_user, role):
    staff = api(make_user(role, ["pk-isb"]))
    response = staff.patch("/api/v1/regions/pk-isb", json={"hotline": "off"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert staff.get("/api/v1/regions").get_json()["items"][0]["hotline"] == "menu"


def test_an_unknown_region_is_404(api, make_user):
    admin = api(make_user("admin", []))
    for code in ("nowhere", "x" * 500, "1" * 30):
        response = admin.patch(f"/api/v1/regions/{code}", json={"hotline": "off"})
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"sender_number": "0512345678"},
        {"sender_number": "+92"},
        {"sender_number": "+92 51 1234 567"},
        {"languages": ["klingon"]},
        {"languages": []},
        {"window": {"start": "21:00", "end": "08:00"}},
        {"window": {"start": "25:00", "end": "26:00"}},
        {"window": {"start": "09:00"}},
        {"counsellor_hours": {"days": [7], "start": "09:00", "end": "17:00"}},
        {"hotline": "sometimes"},
        {"name": None},
        {"name": ""},
        {"code": "new-code"},
        {"colour": "blue"},
    ],
)
def test_bad_input_is_422_with_the_error_shape_and_changes_nothing(api, make_user, body):
    admin = api(make_user("admin", []))
    before = admin.get("/api/v1/regions").get_json()
    response = admin.patch("/api/v1/regions/pk-isb", json=body)
    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()["error"]) == {"code", "message", "details"}
    assert admin.get("/api/v1/regions").get_json() == before


def test_a_sender_number_belongs_to_one_region(api, make_user):
    admin = api(make_user("admin", []))
    assert (
        admin.patch("/api/v1/regions/pk-isb", json={"sender_number": "+925111110000"}).status_code
        == 200
    )
    response = admin.patch("/api/v1/regions/pk-lhr", json={"sender_number": "+925111110000"})
    assert response.status_code == 409
    assert response.get_json()["error"]["details"] == {"field": "sender_number"}
    # Saving a region with its own number again is no clash.
    assert (
        admin.patch("/api/v1/regions/pk-isb", json={"sender_number": "+925111110000"}).status_code
        == 200
    )
