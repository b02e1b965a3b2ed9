"""The contacts pages: search, filters, pagination, a contact's page, consent changes, export."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from outreach.access import Scope
from outreach.contacts.service import change_consent
from outreach.extensions import db
from outreach.models import AuditEvent, ConsentAction, ConsentChannel, ConsentEvent, Contact


def _audits(action: str) -> list[AuditEvent]:
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_search_by_name_latin_and_cyrillic(client, make_user, login, make_contact):
    login(make_user("coordinator", ["pk-isb", "kg-osh"]))
    make_contact(region_code="pk-isb", phone="+923001112233", name="Aisha Khan")
    make_contact(region_code="kg-osh", phone="+996555123456", name="Айгуль Бекова")
    make_contact(region_code="kg-osh", phone="+996555654321", name="Бакыт")

    page = _text(client.get("/contacts", query_string={"q": "aisha"}))
    assert "+923001112233" in page and "+996555123456" not in page

    page = _text(client.get("/contacts", query_string={"q": "Айгуль"}))
    assert "Айгуль Бекова" in page
    assert "+996555123456" in page and "+996555654321" not in page
    assert "+923001112233" not in page

    # Any case, in any script: a coordinator types the name as it comes.
    page = _text(client.get("/contacts", query_string={"q": "айгуль бекова"}))
    assert "+996555123456" in page and "+996555654321" not in page


def test_search_by_phone_in_any_common_writing(client, make_user, login, make_contact):
    login(make_user("coordinator", ["pk-isb"]))
    make_contact(region_code="pk-isb", phone="+923001112233", name="Aisha")
    make_contact(region_code="pk-isb", phone="+923009998877", name="Bilal")
    for query in ("+92 300 1112233", "923001112233", "1112233", "0300-111-2233", "0092300111"):
        page = _text(client.get("/contacts", query_string={"q": query}))
        assert "+923001112233" in page, query
        assert "+923009998877" not in page, query


def test_filters_by_region_list_and_consent(client, make_user, login, make_contact):
    user = make_user("coordinator", ["pk-isb", "kg-osh"])
    login(user)
    fair = make_contact(region_code="kg-osh", phone="+996555000111", lists=("Job fair",))
    other = make_contact(region_code="kg-osh", phone="+996555000222")
    isb = make_contact(region_code="pk-isb", phone="+923001000333")
    change_consent(
        db.session, Scope.for_user(user), other.id, ConsentAction.OPT_OUT, ConsentChannel.WEB, "x"
    )
    db.session.commit()
    list_id = fair.lists[0].id

    page = _text(client.get("/contacts", query_string={"region": "kg-osh"}))
    assert fair.phone in page and other.phone in page and isb.phone not in page

    page = _text(client.get("/contacts", query_string={"list": list_id}))
    assert fair.phone in page and other.phone not in page and isb.phone not in page

    page = _text(client.get("/contacts", query_string={"consent": "opted_out"}))
    assert other.phone in page and fair.phone not in page and isb.phone not in page

    page = _text(client.get("/contacts", query_string={"consent": "opted_in", "region": "pk-isb"}))
    assert isb.phone in page and fair.phone not in page


def test_contacts_are_paginated_fifty_a_page(client, make_user, login, make_contact):
    login(make_user("coordinator", ["pk-isb"]))
    phones = [make_contact(region_code="pk-isb").phone for _ in range(53)]
    first = _text(client.get("/contacts"))
    assert "Page 1 of 2 · 53 in all" in first
    assert sum(phone in first for phone in phones) == 50
    assert phones[-1] in first  # newest first
    assert 'rel="next"' in first and 'rel="prev"' not in first

    second = _text(client.get("/contacts", query_string={"page": 2}))
    assert "Page 2 of 2 · 53 in all" in second
    assert [p for p in phones if p in second] == phones[:3]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_pages_keep_the_filters(client, make_user, login, make_contact):
    login(make_user("coordinator", ["pk-isb"]))
    for n in range(51):
        make_contact(region_code="pk-isb", name=f"Sana {n}")
    page = _text(client.get("/contacts", query_string={"q": "Sana", "region": "pk-isb"}))
    assert "/contacts?q=Sana&amp;region=pk-isb&amp;page=2" in page


def test_contact_page_shows_details_and_consent_history(client, make_user, login, make_contact):
    user = make_user("coordinator", ["kg-osh"])
    contact = make_contact(
        region_code="kg-osh", phone="+996555123456", name="Айгуль", language="ky", lists=("Fair",)
    )
    change_consent(
        db.session,
        Scope.for_user(user),
        contact.id,
        ConsentAction.OPT_OUT,
        ConsentChannel.WEB,
        "asked at the counter",
    )
    db.session.commit()
    login(user)

    page = _text(client.get(f"/contacts/{contact.id}"))
    assert "+996555123456" in page and "Айгуль" in page
    assert "Osh" in page and "ky (Kyrgyz)" in page and "Fair" in page
    assert "opted out" in page
    # History, newest first: the opt-out by this user, then the fixture's opt-in.
    assert page.index("asked at the counter") < page.index("test fixture")
    assert user.email in page
    assert "Asia/Bishkek" in page
    assert "new, explicit" in page  # the warning before re-subscribing an opted-out person


def test_viewing_a_contact_is_audited(client, make_user, login, make_contact):
    user = make_user("coordinator", ["pk-isb"])
    contact = make_contact(region_code="pk-isb")
    login(user)
    client.get(f"/contacts/{contact.id}")
    [audit] = _audits("contact.view")
    assert (audit.user_id, audit.object_type, audit.object_id) == (user.id, "contact", contact.id)
    assert audit.details == {"channel": "web"}


def test_opt_out_then_opt_in_through_the_web(client, make_user, login, make_contact):
    user = make_user("coordinator", ["pk-isb"])
    contact = make_contact(region_code="pk-isb")
    login(user)

    response = client.post(f"/contacts/{contact.id}/opt-out", data={"source": "phoned the MRC"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).consent == "opted_out"

    response = client.post(
        f"/contacts/{contact.id}/opt-in", data={"source": "asked in person to rejoin, 3 May"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).consent == "opted_in"

    events = db.session.execute(
        select(ConsentEvent).where(ConsentEvent.contact_id == contact.id).order_by(ConsentEvent.id)
    ).scalars()
    assert [(e.action, e.channel, e.source, e.user_id) for e in events] == [
        ("opt_in", "web", "test fixture", None),
        ("opt_out", "web", "phoned the MRC", user.id),
        ("opt_in", "web", "asked in person to rejoin, 3 May", user.id),
    ]
    assert [a.object_id for a in _audits("consent.opt_out")] == [contact.id]
    assert [a.object_id for a in _audits("consent.opt_in")] == [contact.id]
    assert all(a.user_id == user.id for a in _audits("consent.opt_in"))

    page = _text(client.get(f"/contacts/{contact.id}"))
    assert "phoned the MRC" in page and "asked in person to rejoin" in page


def test_a_consent_change_without_source_changes_nothing(client, make_user, login, make_contact):
    login(make_user("coordinator", ["pk-isb"]))
    contact = make_contact(region_code="pk-isb")
    response = client.post(f"/contacts/{contact.id}/opt-out", data={"source": "  "})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).consent == "opted_in"
    assert _audits("consent.opt_out") == []
    assert "source" in _text(client.get(f"/contacts/{contact.id}"))


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_export_streams_the_filtered_contacts_and_is_audited(
    client, make_user, login, make_contact
):
    user = make_user("coordinator", ["kg-osh"])
    make_contact(region_code="kg-osh", phone="+996555000111", name="Айгуль", lists=("Fair", "B"))
    make_contact(region_code="kg-osh", phone="+996555000222", name="=HYPERLINK()")
    make_contact(region_code="kg-osh", phone="+996555000333", name="Бакыт")
    login(user)

    rows = _csv(client.get("/contacts/export.csv", query_string={"q": "Айгуль"}))
    assert rows == [
        {
            "phone": "+996555000111",
            "name": "Айгуль",
            "region": "kg-osh",
            "language": "ky",
            "consent": "opted_in",
            "lists": "B; Fair",
        }
    ]
    [audit] = _audits("contacts.export")
    assert audit.user_id == user.id
    assert audit.details == {"filters": {"text": "Айгуль"}, "count": 1}

    rows = _csv(client.get("/contacts/export.csv"))
    assert {r["phone"] for r in rows} == {"+996555000111", "+996555000222", "+996555000333"}
    # A name a spreadsheet would run as a formula is written as text.
    assert {r["name"] for r in rows} >= {"'=HYPERLINK()"}
    assert [a.details["count"] for a in _audits("contacts.export")] == [1, 3]


def test_export_reads_in_batches(client, make_user, login, make_contact, monkeypatch):
    from outreach.contacts import export

    monkeypatch.setattr(export, "BATCH_SIZE", 2)
    login(make_user("coordinator", ["pk-isb"]))
    phones = {make_contact(region_code="pk-isb").phone for _ in range(5)}
    rows = _csv(client.get("/contacts/export.csv"))
    assert [r["phone"] for r in rows] == sorted(phones)


def test_counsellors_may_not_export(client, make_user, login, make_contact):
    make_contact(region_code="pk-isb")
    login(make_user("counsellor", ["pk-isb"]))
    assert client.get("/contacts/export.csv").status_code == 403
    assert _audits("contacts.export") == []
    assert "Export CSV" not in _text(client.get("/contacts"))


def test_a_nul_character_in_a_search_or_form_is_refused_not_a_crash(
    client, make_user, login, make_contact
):
    login(make_user("coordinator", ["pk-isb"]))
    contact = make_contact(region_code="pk-isb")
    assert client.get("/contacts", query_string={"q": "Ali\x00"}).status_code == 400
    response = client.post(f"/contacts/{contact.id}/opt-out", data={"source": "phone\x00call"})
    assert response.status_code == 400
