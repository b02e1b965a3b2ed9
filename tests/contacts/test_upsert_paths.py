"""The upsert engine's two paths write the same rows: PostgreSQL decides and writes a chunk in one
statement (`upsert_postgres`), any database can take it in steps (SQLite's path). One chunk here
meets every fate: created, updated (moved from a region in scope, or kept in this one), an
opt-out that stands, a contact of a region out of scope and an MRC's own number."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.contacts import upsert
from outreach.contacts.service import change_consent
from outreach.contacts.upsert import (
    NUMBER_UNAVAILABLE,
    OPTED_OUT_STANDS,
    REJECTED,
    ConsentStamp,
    ContactRow,
    upsert_contacts,
)
from outreach.extensions import db
from outreach.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Contact,
    ContactList,
    Region,
    list_members,
)

SOURCE = "job fair sheet"
GIVEN_AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
RECORDED_AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SENDER = "051 9201234"  # Islamabad's own sender number, as an admin typed it

NEW, NEW_BARE, KEPT, MOVED, ELSEWHERE, STOPPED, MRC = (
    "+923001110001",
    "+923001110002",
    "+923001110003",
    "+992931110004",
    "+996555110005",
    "+923001110006",
    "+92519201234",
)


def _held_before(region) -> None:
    """Contacts already held when the chunk comes, not committed (the test rolls them back)."""
    region("pk-isb").sender_number = SENDER
    everyone = Scope.everything()
    stamp = ConsentStamp(channel=ConsentChannel.WEB, source="earlier sign-up", at=GIVEN_AT)
    held = [
        ("pk-isb", ContactRow(1, KEPT, "en", "Kept Name", ("Returnees",))),
        ("tj-dyu", ContactRow(2, MOVED, "tg", "Moved Name")),
        ("kg-osh", ContactRow(3, ELSEWHERE, "ky", "Osh Person")),
        ("pk-isb", ContactRow(4, STOPPED, "ur", "Stopped")),
    ]
    for code, row in held:
        upsert_contacts(db.session, everyone, region(code), [row], stamp)
    stopped = db.session.execute(select(Contact.id).where(Contact.phone == STOPPED)).scalar_one()
    change_consent(db.session, everyone, stopped, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP")
    db.session.flush()


CHUNK = [
    ContactRow(2, NEW, "ps", "New Person", ("Job fair", "Returnees")),
    ContactRow(3, NEW_BARE, None, None, ("Job fair",)),
    ContactRow(4, KEPT, "ur", None, ("Returnees", "Job fair")),  # already in Returnees
    ContactRow(5, MOVED, None, "Moved Here", ("Job fair",)),
    ContactRow(6, ELSEWHERE, "ru", "Not yours", ("Refused only",)),
    ContactRow(7, STOPPED, "en", "Stopped again", ("Refused only",)),
    ContactRow(8, MRC, None, "Our own sender", ("Refused only",)),
]


def _write_chunk(region, make_user):
    """The chunk as a coordinator of Islamabad and Dushanbe imports it into Islamabad."""
    user = make_user("coordinator", ["pk-isb", "tj-dyu"])
    stamp = ConsentStamp(
        channel=ConsentChannel.IMPORT,
        source=SOURCE,
        user_id=user.id,
        at=GIVEN_AT,
        recorded_at=RECORDED_AT,
    )
    return upsert_contacts(db.session, Scope.for_user(user), region("pk-isb"), CHUNK, stamp)


def _written(outcomes) -> dict:
    """Everything the chunk left behind, by phone and name (ids differ from run to run)."""
    phone_of = dict(db.session.execute(select(Contact.id, Contact.phone)).all())
    contacts = db.session.execute(
        select(Contact, Region.code).join(Region, Region.id == Contact.region_id)
    ).all()
    events = db.session.execute(select(ConsentEvent).where(ConsentEvent.source == SOURCE))
    members = db.session.execute(
        select(ContactList.name, list_members.c.contact_id).join(
            list_members, list_members.c.list_id == ContactList.id
        )
    )
    return {
        "outcomes": [(o.key, o.status, o.reason, phone_of.get(o.contact_id)) for o in outcomes],
        "contacts": {
            c.phone: (code, c.language, c.name, c.consent, c.consent_changed_at, c.created_at)
            for c, code in contacts
        },
        "events": sorted(
            (phone_of[e.contact_id], e.action, e.channel, e.user_id is None, e.at, e.recorded_at)
            for e in events.scalars()
        ),
        "lists": sorted(db.session.execute(select(ContactList.name)).scalars()),
        "members": sorted((name, phone_of[contact_id]) for name, contact_id in members),
    }


def test_one_chunk_meets_every_fate(app, region, make_user):
    _held_before(region)
    before = datetime.now(UTC)

    written = _written(_write_chunk(region, make_user))

    assert written["outcomes"] == [
        (2, "created", None, NEW),
        (3, "created", None, NEW_BARE),
        (4, "updated", None, KEPT),
        (5, "updated", None, MOVED),
        (6, "rejected", NUMBER_UNAVAILABLE, None),  # names no contact
        (7, "rejected", "opted out, not re-subscribed", STOPPED),
        (8, "rejected", NUMBER_UNAVAILABLE, None),
    ]
    contacts = written["contacts"]
    assert contacts[NEW] == ("pk-isb", "ps", "New Person", "opted_in", GIVEN_AT, RECORDED_AT)
    assert contacts[NEW_BARE][:4] == ("pk-isb", "ur", None, "opted_in")  # the region's language
    assert contacts[KEPT][:4] == ("pk-isb", "ur", "Kept Name", "opted_in")  # name kept
    assert contacts[MOVED][:4] == ("pk-isb", "tg", "Moved Here", "opted_in")  # language kept
    assert contacts[ELSEWHERE][:3] == ("kg-osh", "ky", "Osh Person")
    assert contacts[STOPPED][:4] == ("pk-isb", "ur", "Stopped", "opted_out")
    assert MRC not in contacts
    assert written["events"] == [  # the chunk's opt-ins: for the new contacts only
        (NEW, "opt_in", "import", False, GIVEN_AT, RECORDED_AT),
        (NEW_BARE, "opt_in", "import", False, GIVEN_AT, RECORDED_AT),
    ]
    assert written["lists"] == ["Job fair", "Returnees"]  # none for refused rows alone
    assert written["members"] == [  # by list, then number
        ("Job fair", NEW),
        ("Job fair", NEW_BARE),
        ("Job fair", KEPT),
        ("Job fair", MOVED),
        ("Returnees", NEW),
        ("Returnees", KEPT),  # a member already: once
    ]
    updated_at = dict(db.session.execute(select(Contact.phone, Contact.updated_at)).all())
    assert updated_at[KEPT] >= before and updated_at[MOVED] >= before
    assert updated_at[NEW] == RECORDED_AT


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="the one-statement path is PostgreSQL's; SQLite only has the steps",
)
def test_the_one_statement_writes_what_the_steps_write(app, region, make_user, monkeypatch):
    _held_before(region)
    in_one_statement = _written(_write_chunk(region, make_user))
    db.session.rollback()

    monkeypatch.setattr(upsert, "_upsert_in_one_statement", upsert._upsert_in_steps)
    _held_before(region)
    in_steps = _written(_write_chunk(region, make_user))

    assert in_one_statement == in_steps


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="two transactions at once on one row: PostgreSQL's (SQLite has one writer)",
)
def test_an_opt_out_made_while_the_chunk_waits_for_the_row_stands(app, region):
    everyone, islamabad = Scope.everything(), region("pk-isb")
    stamp = ConsentStamp(channel=ConsentChannel.WEB, source="earlier sign-up", at=GIVEN_AT)
    upsert_contacts(db.session, everyone, islamabad, [ContactRow(1, KEPT, "ur", "Amina")], stamp)
    db.session.commit()
    person = db.session.execute(select(Contact.id).where(Contact.phone == KEPT)).scalar_one()
    islamabad_id, dushanbe = islamabad.id, region("tj-dyu").id
    db.session.remove()

    outcome, engine = {}, db.engine

    def import_chunk():
        with Session(engine) as importing:
            mrc = importing.get(Region, dushanbe)
            row = ContactRow(2, KEPT, "tg", "Moved by the import")
            outcome["row"] = upsert_contacts(importing, everyone, mrc, [row], stamp)[0]
            importing.commit()

    importer = threading.Thread(target=import_chunk)
    with Session(engine) as stopping:  # the person replies STOP: the row is locked until commit
        change_consent(
            stopping, everyone, person, ConsentAction.OPT_OUT, ConsentChannel.SMS, "STOP"
        )
        stopping.flush()
        importer.start()
        _wait_until_a_statement_waits_for_a_lock()
        stopping.commit()
    importer.join(30)

    assert (outcome["row"].status, outcome["row"].reason) == (REJECTED, OPTED_OUT_STANDS)
    after = db.session.get(Contact, person)
    assert (after.consent, after.region_id, after.name) == (
        ConsentState.OPTED_OUT,
        islamabad_id,
        "Amina",
    )


def _wait_until_a_statement_waits_for_a_lock() -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with db.engine.connect() as watcher:
        for _ in range(300):
            if watcher.execute(waiting).scalar_one():
                return
            time.sleep(0.02)
    raise AssertionError("the import never waited for the row the opt-out holds")
