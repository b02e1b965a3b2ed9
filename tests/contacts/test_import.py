"""CSV import of contacts: the service and `outreach contacts import`."""

from __future__ import annotations

import gc
import io

import pytest
from sqlalchemy import func, select

from outreach.access import Scope
from outreach.contacts import forked_reader, importing
from outreach.contacts.importing import ContactImport, UnreadableFile
from outreach.contacts.service import change_consent
from outreach.extensions import db
from outreach.models import (
    AuditEvent,
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Contact,
    ContactList,
    list_members,
)

# A BOM, semicolons, header names in odd case with spaces, local Pakistani formats with spaces
# and dashes, international numbers (+992, 0092, +92 with brackets), a quoted name holding the
# delimiter, an invalid number, a missing phone, a duplicate, Cyrillic and Urdu names.
MESSY = (
    "\ufeff PHONE ; Name ;language; List \r\n"
    "0300 1234567;Иван Петров;ru;Job fair\r\n"  # 2 created
    "0300-7654321;علی خان;ur;\r\n"  # 3 created
    "+992 93 123 4567;Фарход Назаров;Tajik;\r\n"  # 4 created
    '0092 301 2345678;"Khan; Ahmed";;\r\n'  # 5 created, region default language
    "12345;Bad number;;\r\n"  # 6 not a valid number
    ";No phone;en;\r\n"  # 7 missing phone
    "0300 123-4567;Same as line 2;;\r\n"  # 8 duplicate
    "+92 (333) 111-2222;Nadia Updated;en;\r\n"  # 9 updated (exists already)
    "0345 9998877;Opted out;;\r\n"  # 10 opted out, not re-subscribed
    "+996 555 123 456;Айгуль;klingon;\r\n"  # 11 unknown language
    ";;;\r\n"  # 12 blank: skipped, not reported
    "0301-555 0101 ;  Spaces   around  ;URDU;\r\n"  # 13 created
)

EXPECTED_REJECTIONS = [
    (6, "not a valid number"),
    (7, "missing phone"),
    (8, "duplicate in file (first on line 2)"),
    (10, "opted out, not re-subscribed"),
    (11, "unknown language 'klingon'"),
]


def _contact(phone: str) -> Contact | None:
    return db.session.execute(select(Contact).where(Contact.phone == phone)).scalar_one_or_none()


def _opted_out(make_contact, phone: str) -> Contact:
    contact = make_contact(phone=phone, name="Opted out earlier")
    change_consent(
        db.session,
        Scope.everything(),
        contact.id,
        ConsentAction.OPT_OUT,
        ConsentChannel.WEB,
        "asked by phone",
    )
    db.session.commit()
    return contact


def _import(region, data: bytes, scope=None, **kw):
    """Run the service as the CLI does, committing per chunk; (progress, rejections)."""
    kw.setdefault("consent_source", "sign-up sheet, job fair")
    kw.setdefault("filename", "contacts.csv")
    with ContactImport(
        db.session, scope or Scope.everything(), region, io.BytesIO(data), **kw
    ) as job:
        steps = 0
        for _progress in job.run():
            db.session.commit()
            steps += 1
        rejections = [(r.line, r.reason) for r in job.rejections()]
    return job.progress, rejections, steps


@pytest.fixture(params=["child process", "in process"])
def reader(request, monkeypatch):
    """Parse the file in a forked child (the CLI's way) or in this process (the web job's)."""
    forked = request.param == "child process"
    monkeypatch.setattr(forked_reader.ForkedReader, "usable", staticmethod(lambda: forked))
    return request.param


@pytest.fixture
def messy_setup(make_contact):
    existing = make_contact(phone="+923331112222", name="Nadia", language="ur")
    opted_out = _opted_out(make_contact, "+923459998877")
    return existing, opted_out


def test_messy_csv_each_row_has_its_fate(app, region, messy_setup, reader):
    existing, opted_out = messy_setup
    progress, rejections, _steps = _import(
        region("pk-isb"), MESSY.encode("utf-8"), list_name="Islamabad 2026"
    )

    assert (progress.imported, progress.updated, progress.rejected) == (5, 1, 5)
    assert rejections == EXPECTED_REJECTIONS
    created = {
        "+923001234567": ("Иван Петров", "ru"),
        "+923007654321": ("علی خان", "ur"),
        "+992931234567": ("Фарход Назаров", "tg"),
        "+923012345678": ("Khan; Ahmed", "ur"),
        "+923015550101": ("Spaces around", "ur"),
    }
    for phone, (name, language) in created.items():
        contact = _contact(phone)
        assert contact is not None, phone
        assert (contact.name, contact.language) == (name, language)
        assert contact.consent == ConsentState.OPTED_IN
        [event] = contact.consent_events
        assert (event.channel, event.source) == ("import", "sign-up sheet, job fair")
    db.session.refresh(existing)
    assert (existing.name, existing.language) == ("Nadia Updated", "en")
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 7
    assert _contact("+996555123456") is None


def test_opt_out_stands(app, region, messy_setup):
    _existing, opted_out = messy_setup
    events_before = db.session.scalar(
        select(func.count()).where(ConsentEvent.contact_id == opted_out.id)
    )
    _import(region("pk-isb"), MESSY.encode("utf-8"))
    db.session.expire_all()
    contact = db.session.get(Contact, opted_out.id)
    assert contact.consent == ConsentState.OPTED_OUT
    assert contact.name == "Opted out earlier"
    events_after = db.session.scalar(
        select(func.count()).where(ConsentEvent.contact_id == opted_out.id)
    )
    assert events_after == events_before


def test_lists_from_option_and_column(app, region, messy_setup):
    _import(region("pk-isb"), MESSY.encode("utf-8"), list_name="Islamabad 2026")
    members = dict(
        db.session.execute(
            select(ContactList.name, func.count(list_members.c.contact_id))
            .join(list_members, list_members.c.list_id == ContactList.id)
            .group_by(ContactList.name)
        ).all()
    )
    # Everyone imported or updated is in the --list list; line 2 is also in its own list.
    assert members == {"Islamabad 2026": 6, "Job fair": 1}


def test_reimport_updates_and_never_duplicates(app, region, messy_setup):
    first, _rejections, _ = _import(region("pk-isb"), MESSY.encode("utf-8"), list_name="L")
    count = db.session.scalar(select(func.count()).select_from(Contact))
    events = db.session.scalar(select(func.count()).select_from(ConsentEvent))
    again, rejections, _ = _import(region("pk-isb"), MESSY.encode("utf-8"), list_name="L")
    assert (again.imported, again.updated, again.rejected) == (0, 6, 5)
    assert rejections == EXPECTED_REJECTIONS
    assert db.session.scalar(select(func.count()).select_from(Contact)) == count
    assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == events
    assert db.session.scalar(select(func.count()).select_from(list_members)) == 6 + 1


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_comma_or_semicolon(app, region, delimiter):
    data = delimiter.join(["phone", "name", "language"]) + "\n"
    data += delimiter.join(["+992 93 555 0001", "Тоҷиддин", "tg"]) + "\n"
    data += delimiter.join(["93 555 0002", "Гулнора", ""]) + "\n"
    progress, rejections, _ = _import(region("tj-dyu"), data.encode())
    assert (progress.imported, progress.rejected) == (2, 0)
    assert _contact("+992935550001").name == "Тоҷиддин"
    assert _contact("+992935550002").language == "tg"  # the region's default


def test_without_bom_and_quoted_newline(app, region):
    data = 'name,phone\n"Two\nlines",0300 1111111\nbad,xyz\n'
    progress, rejections, _ = _import(region("pk-lhr"), data.encode())
    assert progress.imported == 1
    assert rejections == [(4, "not a valid number")]  # the quoted newline counts as a line


def test_no_phone_column_is_unreadable(app, region):
    with pytest.raises(UnreadableFile, match="no phone column"):
        _import(region("pk-isb"), b"name;number\nAli;0300 1234567\n")
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_not_utf8_is_unreadable_and_nothing_is_imported(app, region):
    data = "phone,name\n0300 1234567,Ali\n0300 7654321,Иван\n".encode("cp1251")
    with pytest.raises(UnreadableFile, match="not UTF-8"):
        _import(region("pk-isb"), data)
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_contact_of_another_mrc_is_refused_as_an_mrc_number_is(
    app, region, make_user, make_contact
):
    make_contact(region_code="kg-osh", phone="+996555123456")
    region("tj-dyu").sender_number = "+992 93 000 0001"  # an MRC's own number
    db.session.commit()
    user = make_user("coordinator", ["pk-isb"])
    data = b"phone\n+996 555 123 456\n+992 93 123 4567\n+992930000001\n"
    progress, rejections, _ = _import(region("pk-isb"), data, scope=Scope.for_user(user))
    assert [line for line, _reason in rejections] == [2, 4]
    assert rejections[0][1] == rejections[1][1]  # one reason, whoever holds the number
    for text in ("kg-osh", region("kg-osh").name, "tj-dyu", region("tj-dyu").name, "another"):
        assert text.lower() not in rejections[0][1].lower()
    assert progress.imported == 1
    assert _contact("+996555123456").region.code == "kg-osh"


def test_commits_per_chunk_and_audits_once(app, region):
    rows = "".join(f"0300 {1000000 + i}\n" for i in range(25))
    data = f"phone\n{rows}".encode()
    progress, _rejections, steps = _import(region("pk-isb"), data, chunk_size=10)
    assert progress.imported == 25
    assert steps == 4  # three chunks (10, 10, 5) and the end
    [audit] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "contacts.import")
    ).scalars()
    assert audit.details["file"] == "contacts.csv"
    assert audit.details["region"] == "pk-isb"
    assert (audit.details["imported"], audit.details["rejected"]) == (25, 0)


# --- the command ---------------------------------------------------------------------------


def _cli(runner, path, *extra):
    args = ["contacts", "import", str(path), "--region", "pk-isb"]
    args += ["--consent-source", "sign-up sheet", *extra]
    return runner.invoke(args=args)


def test_cli_prints_summary_then_rejected_lines(app, runner, messy_setup, tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(MESSY.encode("utf-8"))
    result = _cli(runner, path, "--list", "Islamabad 2026")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "imported 5, updated 1, rejected 5",
        "line 6: not a valid number",
        "line 7: missing phone",
        "line 8: duplicate in file (first on line 2)",
        "line 10: opted out, not re-subscribed",
        "line 11: unknown language 'klingon'",
    ]


def test_cli_all_rows_rejected_still_exits_zero(app, runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("phone\n123\n\n")
    result = _cli(runner, path)
    assert result.exit_code == 0
    assert result.stdout == "imported 0, updated 0, rejected 1\nline 2: not a valid number\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,number\nAli,0300 1234567\n", "no phone column"),
        (b"", "the file is empty"),
        ("phone,name\n0300 1234567,Иван\n".encode("cp1251"), "not UTF-8"),
    ],
)
def test_cli_unreadable_file_exits_non_zero(app, runner, tmp_path, content, message):
    path = tmp_path / "unreadable.csv"
    path.write_bytes(content)
    result = _cli(runner, path)
    assert result.exit_code != 0
    assert message in result.output
    assert result.stdout == ""


def test_cli_missing_file_and_unknown_region(app, runner, tmp_path):
    missing = _cli(runner, tmp_path / "nope.csv")
    assert missing.exit_code != 0
    assert "cannot read" in missing.output and "nope.csv" in missing.output
    path = tmp_path / "ok.csv"
    path.write_text("phone\n0300 1234567\n")
    result = runner.invoke(
        args=["contacts", "import", str(path), "--region", "xx-nowhere", "--consent-source", "x"]
    )
    assert result.exit_code != 0
    assert "region 'xx-nowhere' not found" in result.output
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_failure_while_reading_reaches_the_caller_and_keeps_what_was_written(
    app, region, reader, monkeypatch
):
    parse = importing._RowParser.__call__

    def failing(self, line, record):
        if line == 2500:
            raise RuntimeError("the disk went away")
        return parse(self, line, record)

    monkeypatch.setattr(importing._RowParser, "__call__", failing)
    rows = "phone\n" + "".join(f"+92300{n:07d}\n" for n in range(3000))
    with pytest.raises(RuntimeError, match="the disk went away"):
        _import(region("pk-isb"), rows.encode(), chunk_size=1000)
    db.session.rollback()
    # The chunks committed before the failure stay; re-importing the file completes it.
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 2000


def test_the_writer_s_heap_is_out_of_the_collector_s_reach_only_while_the_child_reads():
    assert gc.get_freeze_count() == 0
    with forked_reader.ForkedReader(iter(["first", "second"])) as items:
        assert gc.get_freeze_count() > 0  # full collections skip what the app built
        assert list(items) == ["first", "second"]
    assert gc.get_freeze_count() == 0
