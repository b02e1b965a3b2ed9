"""Region isolation through the web UI: a user of one MRC never sees another MRC's data."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.extensions import db
from outreach.models import AuditEvent, Contact


@pytest.fixture
def osh_contact(make_contact):
    return make_contact(
        region_code="kg-osh", phone="+996555777888", name="Нурлан", lists=("Osh fair",)
    )


@pytest.fixture
def isb_user(make_user, login, make_contact):
    user = make_user("coordinator", ["pk-isb"])
    make_contact(region_code="pk-isb", phone="+923001234567", name="Imran")
    login(user)
    return user


def test_another_regions_contact_page_is_404(client, isb_user, osh_contact):
    response = client.get(f"/contacts/{osh_contact.id}")
    assert response.status_code == 404
    assert "Нурлан" not in response.get_data(as_text=True)
    assert "+996555777888" not in response.get_data(as_text=True)
    views = db.session.execute(select(AuditEvent).where(AuditEvent.action == "contact.view"))
    assert views.first() is None


def test_another_regions_contact_cannot_have_consent_changed(client, isb_user, osh_contact):
    for action in ("opt-out", "opt-in"):
        response = client.post(f"/contacts/{osh_contact.id}/{action}", data={"source": "x"})
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Contact, osh_contact.id).consent == "opted_in"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "Нурлан"},
        {"q": "+996555777888"},
        {"region": "kg-osh"},
        {"consent": "opted_in"},
    ],
)
def test_search_never_shows_another_regions_contact(client, isb_user, osh_contact, query):
    html = client.get("/contacts", query_string=query).get_data(as_text=True)
    page = html[html.index("<tbody>") :]  # the results, not the search box echoing the query
    assert "+996555777888" not in page and "Нурлан" not in page
    if not query or query == {"consent": "opted_in"}:
        assert "+923001234567" in page  # the user's own contact is there


def test_search_by_another_regions_list_finds_nothing(client, isb_user, osh_contact):
    list_id = osh_contact.lists[0].id
    page = client.get("/contacts", query_string={"list": list_id}).get_data(as_text=True)
    assert "+996555777888" not in page
    assert "Osh fair" not in page  # not offered as a filter either


def test_export_never_contains_another_regions_contact(client, isb_user, osh_contact):
    for query in ({}, {"region": "kg-osh"}, {"list": osh_contact.lists[0].id}):
        text = client.get("/contacts/export.csv", query_string=query).get_data(as_text=True)
        assert "+996555777888" not in text and "Нурлан" not in text
    everything = client.get("/contacts/export.csv").get_data(as_text=True)
    assert "+923001234567" in everything


def test_another_regions_list_is_404_and_not_listed(client, isb_user, osh_contact):
    list_id = osh_contact.lists[0].id
    assert client.get(f"/lists/{list_id}").status_code == 404
    assert "Osh fair" not in client.get("/lists").get_data(as_text=True)
    assert client.get("/lists", query_string={"region": "kg-osh"}).status_code == 404


def test_a_list_cannot_be_created_in_another_region(client, isb_user):
    response = client.post("/lists/new", data={"region": "kg-osh", "name": "Sneaky"})
    assert response.status_code == 422
    assert client.get("/lists").get_data(as_text=True).count("Sneaky") == 0


def test_dashboard_and_regions_show_only_the_users_regions(client, isb_user, osh_contact):
    dashboard = client.get("/").get_data(as_text=True)
    assert "pk-isb" in dashboard and "kg-osh" not in dashboard
    regions = client.get("/regions").get_data(as_text=True)
    assert "pk-isb" in regions and "kg-osh" not in regions and "Asia/Bishkek" not in regions


def test_admins_see_every_region(client, make_user, login, osh_contact, make_contact):
    make_contact(region_code="pk-isb", phone="+923001234567")
    login(make_user("admin", []))
    page = client.get("/contacts").get_data(as_text=True)
    assert "+996555777888" in page and "+923001234567" in page
    assert client.get(f"/contacts/{osh_contact.id}").status_code == 200
    assert client.get(f"/lists/{osh_contact.lists[0].id}").status_code == 200
