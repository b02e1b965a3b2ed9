"""Dashboard figures, regions (admins add and edit them) and lists."""

from __future__ import annotations

import re

from sqlalchemy import select

from outreach.access import Scope
from outreach.contacts.service import change_consent
from outreach.extensions import db
from outreach.models import ConsentAction, ConsentChannel, ContactList, Region

NEW_REGION = {
    "code": "uz-sam",
    "name": "Samarkand",
    "country": "uz",
    "timezone": "Asia/Samarkand",
    "languages": "uz, ru",
    "window_start": "08:30",
    "window_end": "19:00",
    "counsellor_days": ["0", "1", "2", "3", "4", "5"],
    "counsellor_start": "09:00",
    "counsellor_end": "18:00",
}


def _cells(page: str, code: str) -> list[str]:
    """The text of the table cells in the row that mentions `code`."""
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if code in r)
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_dashboard_counts_per_region(client, make_user, login, make_contact):
    user = make_user("coordinator", ["pk-isb", "kg-osh"])
    make_contact(region_code="pk-isb", lists=("A",))
    make_contact(region_code="pk-isb", lists=("B",))
    out = make_contact(region_code="pk-isb")
    make_contact(region_code="kg-osh", phone="+996555000111")
    change_consent(
        db.session, Scope.for_user(user), out.id, ConsentAction.OPT_OUT, ConsentChannel.WEB, "x"
    )
    db.session.commit()
    login(user)
    page = client.get("/").get_data(as_text=True)
    assert _cells(page, "pk-isb")[1:4] == ["2", "1", "2"]
    assert _cells(page, "kg-osh")[1:4] == ["1", "0", "0"]
    assert "pk-pew" not in page


def test_regions_page_shows_settings(client, make_user, login):
    login(make_user("coordinator", ["kg-osh"]))
    page = client.get("/regions").get_data(as_text=True)
    cells = _cells(page, "kg-osh")
    assert cells[:4] == ["kg-osh", "MRC Osh", "KG", "Asia/Bishkek"]
    assert "ky (Kyrgyz)" in cells[4] and "uz (Uzbek)" in cells[4]
    assert "Add a region" not in page and "/edit" not in page


def test_admin_creates_a_region(client, make_user, login):
    login(make_user("admin", []))
    assert client.get("/regions/new").status_code == 200
    response = client.post("/regions/new", data=NEW_REGION)
    assert response.status_code == 302
    region = db.session.execute(select(Region).where(Region.code == "uz-sam")).scalar_one()
    assert (region.name, region.country, region.timezone) == ("Samarkand", "UZ", "Asia/Samarkand")
    assert region.languages == ["uz", "ru"]
    assert (region.window_start, region.window_end) == (8 * 60 + 30, 19 * 60)
    assert region.counsellor_hours == {"days": [0, 1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}
    assert "Samarkand" in client.get("/regions").get_data(as_text=True)


def test_admin_edits_a_region(client, make_user, login):
    login(make_user("admin", []))
    form = client.get("/regions/tj-dyu/edit").get_data(as_text=True)
    assert 'value="tg, ru"' in form and 'value="Asia/Dushanbe"' in form
    data = dict(NEW_REGION, code="tj-dyu", name="Dushanbe MRC", country="TJ")
    data.update(timezone="Asia/Dushanbe", languages="tg, ru, en", window_end="21:00")
    assert client.post("/regions/tj-dyu/edit", data=data).status_code == 302
    db.session.expire_all()
    region = db.session.execute(select(Region).where(Region.code == "tj-dyu")).scalar_one()
    assert (region.name, region.languages, region.window_end) == (
        "Dushanbe MRC",
        ["tg", "ru", "en"],
        21 * 60,
    )


def test_a_bad_region_is_shown_back_with_the_reason(client, make_user, login):
    login(make_user("admin", []))
    bad = dict(NEW_REGION, timezone="Mars/Olympus", languages="klingon")
    response = client.post("/regions/new", data=bad)
    assert response.status_code == 422
    assert "unknown time zone" in response.get_data(as_text=True)
    taken = client.post("/regions/new", data=dict(NEW_REGION, code="pk-isb"))
    assert taken.status_code == 422
    assert "exists" in taken.get_data(as_text=True)
    assert db.session.execute(select(Region).where(Region.code == "uz-sam")).first() is None


def test_coordinators_get_403_on_region_forms(client, make_user, login):
    login(make_user("coordinator", ["pk-isb"]))
    assert client.get("/regions/new").status_code == 403
    assert client.post("/regions/new", data=NEW_REGION).status_code == 403
    assert client.get("/regions/pk-isb/edit").status_code == 403
    response = client.post("/regions/pk-isb/edit", data=dict(NEW_REGION, code="pk-isb"))
    assert response.status_code == 403
    assert db.session.execute(select(Region).where(Region.code == "uz-sam")).first() is None
    name = db.session.execute(select(Region.name).where(Region.code == "pk-isb")).scalar_one()
    assert name != "Samarkand"


def test_lists_page_counts_members(client, make_user, login, make_contact):
    login(make_user("coordinator", ["pk-isb"]))
    make_contact(region_code="pk-isb", lists=("Job fair",))
    make_contact(region_code="pk-isb", lists=("Job fair", "HIV testing"))
    page = client.get("/lists").get_data(as_text=True)
    assert _cells(page, "Job fair")[3] == "2"
    assert _cells(page, "HIV testing")[3] == "1"


def test_create_a_list(client, make_user, login):
    login(make_user("coordinator", ["pk-isb", "pk-lhr"]))
    form = client.get("/lists/new").get_data(as_text=True)
    assert 'value="pk-isb"' in form and 'value="pk-lhr"' in form and 'value="kg-osh"' not in form
    response = client.post(
        "/lists/new", data={"region": "pk-lhr", "name": "  Returnees  2024 ", "description": "d"}
    )
    assert response.status_code == 302
    created = db.session.execute(select(ContactList)).scalar_one()
    assert (created.name, created.region.code, created.description) == (
        "Returnees 2024",
        "pk-lhr",
        "d",
    )
    assert response.headers["Location"] == f"/lists/{created.id}"
    again = client.post("/lists/new", data={"region": "pk-lhr", "name": "Returnees 2024"})
    assert again.status_code == 422
    assert "already has a list" in again.get_data(as_text=True)


def test_list_page_paginates_members(client, make_user, login, make_contact):
    login(make_user("coordinator", ["pk-isb"]))
    members = [make_contact(region_code="pk-isb", lists=("Fair",)) for _ in range(51)]
    outsider = make_contact(region_code="pk-isb")
    list_id = members[0].lists[0].id
    first = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "Page 1 of 2 · 51 in all" in first
    assert outsider.phone not in first
    assert f"/contacts?list={list_id}" in first
    second = client.get(f"/lists/{list_id}", query_string={"page": 2}).get_data(as_text=True)
    assert members[0].phone in second and "Page 2 of 2" in second
