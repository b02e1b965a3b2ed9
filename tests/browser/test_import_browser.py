"""In a real browser: log in, upload a CSV of a few thousand rows, see the bar, read the report.

The job is run by a job loop in a thread beside the served app, as a worker runs it.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from outreach.contacts.import_jobs import run_import
from outreach.extensions import db
from outreach.jobs.kinds import KINDS
from outreach.jobs.runner import JobRunner

PASSWORD = "correct horse battery"  # what the `make_user` fixture gives every user
ROWS = 4000


def _csv(path) -> None:
    lines = ["\ufeff Phone ;Name;Language"]
    for i in range(ROWS):
        if i % 500 == 7:
            lines.append(f"12{i};Bad {i};")  # not a valid number
        elif i % 3 == 0:
            lines.append(f"0300-{1000000 + i};Иван {i};ru")
        elif i % 3 == 1:
            lines.append(f"0092 301 {2000000 + i};علی {i};ur")
        else:
            lines.append(f"+992 93 {3000000 + i};Фарход {i};tg")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _slowly(session, job, now):
    """Let each chunk take a moment, so the bar is seen moving before the report."""
    for step in run_import(session, job, now):
        time.sleep(0.4)
        yield step


@pytest.fixture
def job_loop(app):
    """A worker's job loop running in a thread (imports slowed down), stopped afterwards."""
    kinds = {**KINDS, "import": dataclasses.replace(KINDS["import"], run=_slowly)}
    sessions = sessionmaker(bind=db.engine, expire_on_commit=False)
    runner = JobRunner(sessions, "browser-test-worker", app.config, kinds=kinds)
    thread = threading.Thread(target=runner.run, name="jobs", daemon=True)
    thread.start()
    yield runner
    runner.stop_event.set()
    thread.join(timeout=30)


def test_upload_progress_and_report(page, make_user, tmp_path, job_loop):
    user = make_user("coordinator", ["pk-isb", "tj-dyu"])
    path = tmp_path / "job-fair.csv"
    _csv(path)

    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/imports/new")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_label("Region (MRC)").select_option("pk-isb")
    page.get_by_label("Add everyone to the list").fill("Job fair Lahore")
    page.get_by_label("Consent source").fill("sign-up sheet, job fair, 3 May")
    page.get_by_role("button", name="Import").click()

    bar = page.locator("progress")
    expect(bar).to_be_visible()
    page.wait_for_function(
        "() => { const b = document.querySelector('progress'); return b && b.value > 0; }"
    )
    page.screenshot(path="/tmp/import-progress.png", full_page=True)

    expect(page.get_by_text("Import finished")).to_be_visible(timeout=60_000)
    expect(bar).to_have_count(0)
    bad = len([i for i in range(ROWS) if i % 500 == 7])
    counts = page.locator(".import-counts")
    expect(counts).to_contain_text(f"{ROWS - bad} imported")
    expect(counts).to_contain_text(f"{bad} rejected")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(bad)
    expect(rows.first.locator("td").first).to_have_text("9")  # i == 7; the header is line 1
    expect(rows.first).to_contain_text("not a valid number")
    page.screenshot(path="/tmp/import-report.png", full_page=True)
