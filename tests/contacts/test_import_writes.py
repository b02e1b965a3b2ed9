"""What an import writes for each chunk: every contact, its opt-in event and its lists, in a few
set-based statements whatever the number of rows or lists (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import contextlib
import io

from sqlalchemy import event, func, select

from outreach.access import Scope
from outreach.contacts.importing import ContactImport
from outreach.contacts.service import change_consent
from outreach.extensions import db
from outreach.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Contact,
    ContactList,
    list_members,
)


@contextlib.contextmanager
def statements():
    """The SQL statements sent to the database inside the block, as text."""
    seen: list[str] = []

    def record(conn, cursor, sql, *args):
        seen.append(" ".join(sql.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _import(region, text: str, **kw):
    with ContactImport(
        db.session,
        Scope.everything(),
        region,
        io.BytesIO(text.encode()),
        consent_source="sign-up sheet, Osh job fair",
        filename="osh.csv",
        **kw,
    ) as job:
        for _progress in job.run():
            db.session.commit()
        return job.progress, [(r.line, r.reason) for r in job.rejections()]


def _members() -> dict[str, set[str]]:
    rows = db.session.execute(
        select(ContactList.name, Contact.phone)
        .join(list_members, list_members.c.list_id == ContactList.id)
        .join(Contact, Contact.id == list_members.c.contact_id)
    )
    found: dict[str, set[str]] = {}
    for name, phone in rows:
        found.setdefault(name, set()).add(phone)
    return found


def _phone(n: int) -> str:
    return f"+996555{n:06d}"


def test_mixed_chunks_write_each_contact_event_and_membership_once(
    app, region, make_contact, make_user
):
    osh = region("kg-osh")
    known = make_contact(region_code="kg-osh", phone=_phone(3), name="Known", lists=("Returnees",))
    stopped = make_contact(region_code="kg-osh", phone=_phone(6), name="Stopped")
    change_consent(
        db.session,
        Scope.everything(),
        stopped.id,
        ConsentAction.OPT_OUT,
        ConsentChannel.SMS,
        "STOP",
    )
    db.session.commit()
    user = make_user("coordinator", ["kg-osh"])
    lines = ["phone,name,list"]
    for n in range(1, 11):
        listed = "Returnees" if n % 3 == 0 else ("Job fair" if n % 2 == 0 else "")
        lines.append(f"{_phone(n)},Person {n},{listed}")
    lines.append(f"{_phone(4)},Again,")  # line 12, a duplicate of line 5

    progress, rejections = _import(
        osh, "\n".join(lines) + "\n", list_name="Osh 2026", chunk_size=4, user_id=user.id
    )

    assert (progress.imported, progress.updated, progress.rejected) == (8, 1, 2)
    assert rejections == [
        (7, "opted out, not re-subscribed"),
        (12, "duplicate in file (first on line 5)"),
    ]
    db.session.expire_all()
    created = [_phone(n) for n in range(1, 11) if n not in (3, 6)]
    for phone in created:
        contact = db.session.execute(select(Contact).where(Contact.phone == phone)).scalar_one()
        assert contact.consent == ConsentState.OPTED_IN
        [opt_in] = contact.consent_events
        assert (opt_in.action, opt_in.channel, opt_in.user_id) == ("opt_in", "import", user.id)
        assert opt_in.source == "sign-up sheet, Osh job fair"
        assert opt_in.at == contact.consent_changed_at
    # The known contact was updated, not given a second opt-in; the opted-out one stays out,
    # with no new event and in no list.
    assert [e.action for e in db.session.get(Contact, known.id).consent_events] == ["opt_in"]
    assert db.session.get(Contact, known.id).name == "Person 3"
    stopped_now = db.session.get(Contact, stopped.id)
    assert stopped_now.consent == ConsentState.OPTED_OUT
    assert [e.action for e in stopped_now.consent_events] == ["opt_out", "opt_in"]
    assert _members() == {
        "Osh 2026": {_phone(n) for n in range(1, 11) if n != 6},
        "Returnees": {_phone(3), _phone(9)},
        "Job fair": {_phone(2), _phone(4), _phone(8), _phone(10)},
    }


def test_a_chunk_writes_in_the_same_few_statements_however_many_rows_and_lists(app, region):
    osh = region("kg-osh")

    def writes(first: int, rows: int, lists: int) -> list[str]:
        body = "".join(f"{_phone(first + n)},list {n % lists}\n" for n in range(rows))
        with statements() as seen:
            progress, rejections = _import(osh, "phone,list\n" + body, list_name="All")
        assert (progress.imported, rejections) == (rows, [])
        return [s for s in seen if s.startswith(("INSERT", "WITH", "UPDATE"))]

    few = writes(0, rows=3, lists=1)
    many = writes(1000, rows=400, lists=5)
    # 133 times the rows, five times the lists: only the four lists new to the second file add
    # a statement each (their own INSERT), and "All" and "list 0" existed by then (-2).
    assert len(many) == len(few) + 4 - 2
    into_members = [s for s in many if s.startswith("INSERT INTO list_members")]
    assert len(into_members) == 1
    if db.engine.dialect.name == "postgresql":
        # One statement writes the contacts and their opt-in events together.
        [both] = [s for s in many if "INSERT INTO contacts" in s]
        assert "INSERT INTO consent_events" in both
    count = db.session.scalar(select(func.count()).select_from(ConsentEvent))
    assert count == 403
