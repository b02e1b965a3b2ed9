"""The job loop: runs a claimed job step by step, commits only while it holds the claim, and
gives a job back (or up) when it cannot finish it."""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from outreach.access import Scope
from outreach.contacts.import_jobs import GAVE_UP, create_job, run_import
from outreach.extensions import db
from outreach.jobs import queue
from outreach.jobs.kinds import KINDS
from outreach.jobs.runner import JobRunner
from outreach.models import AuditEvent, Contact, ImportJob, JobStatus, utcnow

ROWS = 2500  # three chunks of the importer


@pytest.fixture(autouse=True)
def logs_enabled(monkeypatch):
    """Alembic's logging setup (the migrations at the start of the run) disables loggers that
    existed before it; these tests read what the job loop logs."""
    for name in ("outreach.jobs.runner", "outreach.resilience"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)


@pytest.fixture
def sessions(app):
    return sessionmaker(bind=db.engine, expire_on_commit=False)


@pytest.fixture
def upload(app, region, tmp_path):
    """A committed pending import of a CSV file of `rows` numbers."""

    def make(rows: int = ROWS) -> ImportJob:
        path = tmp_path / "people.csv"
        numbers = "".join(f"0300 {1000000 + i}\n" for i in range(rows))
        path.write_text("phone\n" + numbers, encoding="utf-8")
        job = create_job(
            db.session,
            Scope.everything(),
            region("pk-isb"),
            filename="people.csv",
            path=str(path),
            consent_source="sign-up sheet",
        )
        db.session.commit()
        return job

    return make


def _runner(sessions, app, worker_id: str, run=None) -> JobRunner:
    kinds = KINDS if run is None else {"import": dataclasses.replace(KINDS["import"], run=run)}
    return JobRunner(sessions, worker_id, app.config, kinds=kinds)


def _job(job_id: int) -> ImportJob:
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)


def _contacts() -> int:
    return db.session.scalar(select(func.count()).select_from(Contact))


def test_a_job_runs_step_by_step_to_done_and_removes_its_upload(app, sessions, upload):
    job = upload()
    seen = []

    def watched(session, job, now):
        for step in run_import(session, job, now):
            yield step
            seen.append((_job(job.id).processed_bytes, _contacts()))  # committed by now

    assert _runner(sessions, app, "w", watched).run_once()
    found = _job(job.id)
    assert (found.status, found.claimed_by, found.error) == (JobStatus.DONE, None, None)
    assert (found.imported, found.updated, found.rejected) == (ROWS, 0, 0)
    assert [contacts for _bytes, contacts in seen] == [1000, 2000, 2500]
    assert 0 < seen[0][0] <= seen[1][0] <= seen[2][0] == found.total_bytes == found.processed_bytes
    assert found.finished_at is not None and not os.path.exists(found.path)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_a_worker_that_lost_the_job_commits_nothing_more_and_the_new_one_finishes_it(
    app, sessions, upload
):
    """The first worker is taken for gone after its first chunk; its second chunk is not kept.
    The second runs the import again from the top: what the first created counts as updated."""
    job = upload()
    now = utcnow()

    def taken_over(session, job, now):
        for number, step in enumerate(run_import(session, job, now)):
            yield step
            if number == 0:  # the first chunk is committed: now another worker takes over
                with sessions() as other:
                    later = utcnow() + timedelta(seconds=app.config["CLAIM_TIMEOUT_SECONDS"] + 1)
                    queue.recover(other, "second", None, later, timedelta(0), timedelta(0))
                    assert queue.claim_next(other, "second", later) == job.id
                    other.commit()

    first = _runner(sessions, app, "first", taken_over)
    assert first.run_once()
    found = _job(job.id)
    assert (found.status, found.claimed_by, found.attempts) == (JobStatus.RUNNING, "second", 2)
    assert _contacts() == 1000  # the chunk written after losing the claim was rolled back
    assert os.path.exists(found.path)

    assert _runner(sessions, app, "second").run_job(job.id) == JobStatus.DONE
    found = _job(job.id)
    assert found.status == JobStatus.DONE and found.finished_at >= now
    assert (found.imported, found.updated, found.rejected) == (ROWS - 1000, 1000, 0)
    assert _contacts() == ROWS
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_an_unexpected_error_runs_the_job_again_then_gives_up(app, sessions, upload, caplog):
    job = upload()

    def broken(session, job, now):
        yield from ()
        raise RuntimeError("a bug")

    runner = _runner(sessions, app, "w", broken)
    with caplog.at_level(logging.ERROR):
        for attempt in range(1, queue.MAX_ATTEMPTS + 1):
            assert runner.run_once()
            found = _job(job.id)
            assert (found.status, found.attempts, found.claimed_by) == (
                JobStatus.PENDING,
                attempt,
                None,
            )
            assert os.path.exists(found.path)
    assert "RuntimeError: a bug" in caplog.text
    assert runner.run_once()
    found = _job(job.id)
    assert (found.status, found.error) == (JobStatus.FAILED, GAVE_UP)
    assert not os.path.exists(found.path)
    assert not runner.run_once()


def test_a_file_that_cannot_be_imported_fails_the_job_with_its_reason(
    app, sessions, upload, tmp_path
):
    job = upload()
    with open(job.path, "wb") as out:
        out.write(b"name,number\nAli,0300 1234567\n")
    assert _runner(sessions, app, "w").run_once()
    found = _job(job.id)
    assert found.status == JobStatus.FAILED and "no phone column" in found.error
    assert found.attempts == 1 and not os.path.exists(found.path)


def test_a_stopping_worker_gives_its_job_back_without_counting_an_attempt(app, sessions, upload):
    job = upload()
    runner = _runner(sessions, app, "w")

    def stopped_after_first_chunk(session, job, now):
        for step in run_import(session, job, now):
            runner.stop_event.set()
            yield step

    runner.kinds = {"import": dataclasses.replace(KINDS["import"], run=stopped_after_first_chunk)}
    assert runner.run_once()
    found = _job(job.id)
    assert (found.status, found.attempts, found.claimed_by) == (JobStatus.PENDING, 0, None)
    assert _contacts() == 0 and os.path.exists(found.path)


def test_the_loop_outlives_its_database_and_then_runs_the_job(app, sessions, upload, caplog):
    job = upload(rows=10)
    failures = {"left": 2}

    def flaky():
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("SELECT 1", {}, Exception("the database is away"))
        return sessions()

    runner = JobRunner(flaky, "w", app.config)
    thread = threading.Thread(target=runner.run, daemon=True)
    with caplog.at_level(logging.WARNING):
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while _job(job.id).status != JobStatus.DONE:
                assert thread.is_alive() and time.monotonic() < deadline
                time.sleep(0.1)
        finally:
            runner.stop_event.set()
            thread.join(10)
    assert failures["left"] == 0
    assert "failed; trying again" in caplog.text and "works again" in caplog.text
    assert _job(job.id).imported == 10
