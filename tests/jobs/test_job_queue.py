"""Jobs as rows: claimed once, renewed while they run, given back when their worker is gone."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from outreach.access import Scope
from outreach.contacts.import_jobs import create_job
from outreach.extensions import db
from outreach.jobs import queue
from outreach.models import ImportJob, Job, JobStatus, WorkerHeartbeat, utcnow

WORKER_TIMEOUT = timedelta(seconds=30)
CLAIM_TIMEOUT = timedelta(minutes=5)


@pytest.fixture
def make_job(app, region, tmp_path):
    """A committed pending import job of a small CSV file."""

    def make(name: str = "people.csv") -> ImportJob:
        path = tmp_path / name
        path.write_text("phone\n0300 1234567\n", encoding="utf-8")
        job = create_job(
            db.session,
            Scope.everything(),
            region("pk-isb"),
            filename=name,
            path=str(path),
            consent_source="sign-up sheet",
        )
        db.session.commit()
        return job

    return make


def _job(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _beat(worker_id: str, at) -> None:
    db.session.add(WorkerHeartbeat(id=worker_id, hostname="h", pid=1, started_at=at, beat_at=at))


def _claim(worker_id: str, now) -> int | None:
    claimed = queue.claim_next(db.session, worker_id, now)
    db.session.commit()
    return claimed


def _recover(worker_id: str, now, running: int | None = None) -> int:
    count = queue.recover(db.session, worker_id, running, now, WORKER_TIMEOUT, CLAIM_TIMEOUT)
    db.session.commit()
    return count


def test_jobs_are_claimed_oldest_first_and_once(make_job):
    first, second = make_job("a.csv"), make_job("b.csv")
    now = utcnow()
    assert first.kind == "import" and first.status == JobStatus.PENDING
    assert _claim("w1", now) == first.id
    assert _claim("w2", now) == second.id
    assert _claim("w3", now) is None
    job = _job(first.id)
    assert (job.status, job.claimed_by, job.claimed_at, job.attempts) == (
        JobStatus.RUNNING,
        "w1",
        now,
        1,
    )


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="row locks with SKIP LOCKED are PostgreSQL's (SQLite has one writer at a time)",
)
def test_a_job_being_claimed_is_skipped_not_waited_for(app, make_job):
    first, second = make_job("a.csv"), make_job("b.csv")
    sessions = sessionmaker(bind=db.engine)
    now = utcnow()
    with sessions() as holding, sessions() as other:
        assert queue.claim_next(holding, "w1", now) == first.id  # not committed: row locked
        assert queue.claim_next(other, "w2", now) == second.id  # at once, without waiting
        other.commit()
        holding.commit()
    assert (_job(first.id).claimed_by, _job(second.id).claimed_by) == ("w1", "w2")


def test_the_job_of_a_gone_worker_goes_back_to_the_queue(make_job):
    job = make_job()
    start = utcnow()
    _beat("dead", start)
    _beat("alive", start)
    _claim("dead", start)
    later = start + WORKER_TIMEOUT + timedelta(seconds=1)
    db.session.get(WorkerHeartbeat, "alive").beat_at = later
    db.session.commit()

    assert _recover("alive", start + timedelta(seconds=5)) == 0  # not gone yet
    assert _recover("alive", later) == 1
    found = _job(job.id)
    assert (found.status, found.claimed_by, found.attempts) == (JobStatus.PENDING, None, 1)
    assert _claim("alive", later) == job.id
    assert _job(job.id).attempts == 2


def test_a_fresh_claim_waits_for_its_workers_first_heartbeat(make_job):
    job = make_job()
    now = utcnow()
    _claim("starting", now)  # its worker has not beaten yet
    assert _recover("other", now + timedelta(seconds=5)) == 0
    assert _recover("other", now + WORKER_TIMEOUT + timedelta(seconds=1)) == 1
    assert _job(job.id).status == JobStatus.PENDING


def test_a_claim_not_renewed_in_time_is_given_back_even_by_a_live_worker(make_job):
    job = make_job()
    now = utcnow()
    _claim("stuck", now)
    late = now + CLAIM_TIMEOUT + timedelta(seconds=1)
    _beat("stuck", late)  # alive, but its job has made no step for too long
    db.session.commit()
    assert _recover("other", now + CLAIM_TIMEOUT - timedelta(seconds=1)) == 0
    assert queue.renew(db.session, job.id, "stuck", now + timedelta(minutes=4))
    db.session.commit()
    assert _recover("other", late) == 0  # renewed at 4 minutes
    assert _recover("other", late + timedelta(minutes=4)) == 1


def test_a_job_a_worker_lost_track_of_goes_back_at_its_next_recovery(make_job):
    job, other = make_job("a.csv"), make_job("b.csv")
    now = utcnow()
    _beat("me", now)
    _claim("me", now)
    _claim("me", now)
    assert _recover("me", now, running=other.id) == 1  # the job it no longer runs
    assert (_job(job.id).status, _job(other.id).status) == (JobStatus.PENDING, JobStatus.RUNNING)


def test_a_worker_that_lost_its_claim_can_neither_renew_nor_end_the_job(make_job):
    job = make_job()
    now = utcnow()
    _claim("old", now)
    _recover("new", now + CLAIM_TIMEOUT + timedelta(seconds=1))
    _claim("new", now + CLAIM_TIMEOUT + timedelta(seconds=1))
    assert not queue.renew(db.session, job.id, "old", now)
    assert not queue.move(db.session, JobStatus.DONE, now, *queue.held_by("old", job.id))
    assert queue.move(db.session, JobStatus.DONE, now, *queue.held_by("new", job.id)) == 1
    db.session.commit()
    found = _job(job.id)
    assert (found.status, found.claimed_by, found.finished_at) == (JobStatus.DONE, None, now)


def test_finished_jobs_never_move_again(make_job):
    job = make_job()
    now = utcnow()
    _claim("w", now)
    assert queue.move(db.session, JobStatus.FAILED, now, Job.id == job.id, error="bad file") == 1
    for status in JobStatus:
        assert queue.move(db.session, status, now, Job.id == job.id) == 0
    db.session.commit()
    assert _job(job.id).status == JobStatus.FAILED
    assert _recover("w", now + CLAIM_TIMEOUT * 10) == 0


def test_two_threads_claiming_at_once_never_share_a_job(app, make_job):
    jobs = {make_job(f"{n}.csv").id for n in range(6)}
    sessions = sessionmaker(bind=db.engine)
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def claim_all(worker_id: str) -> None:
        while True:
            with sessions() as session:
                job_id = queue.claim_next(session, worker_id, utcnow())
                session.commit()
            if job_id is None:
                return
            with lock:
                claimed.append((worker_id, job_id))

    threads = [threading.Thread(target=claim_all, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(job_id for _w, job_id in claimed) == sorted(jobs)  # each once
    db.session.expire_all()
    owners = {j.id: j.claimed_by for j in db.session.execute(select(Job)).scalars()}
    assert owners == {job_id: worker_id for worker_id, job_id in claimed}
