"""The worker's job loop: claims due jobs and runs them, one at a time, to their end.

Each step of a job is committed together with the renewal of its claim, and only while this
worker still holds it (`queue.renew`), so a worker that lost a job to another — it was thought
gone — commits nothing more of it. Like the dispatcher's loops, claiming and recovery run as
`resilience.Step`s: an error from the database is logged and backed off, never fatal, and a job
this worker lost track of meanwhile goes back to the queue at its next recovery.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from outreach.errors import ServiceError
from outreach.jobs import queue
from outreach.jobs.kinds import KINDS, Kind
from outreach.models import Job, JobStatus, utcnow
from outreach.resilience import Health, Step

log = logging.getLogger(__name__)

RUNNING_JOBS = "running jobs"


class JobRunner:
    """Runs background jobs for one worker (`worker_id` is the one its heartbeat names)."""

    def __init__(
        self,
        sessions: sessionmaker,
        worker_id: str,
        config: Mapping,
        health: Health | None = None,
        clock: Callable[[], datetime] = utcnow,
        kinds: Mapping[str, Kind] = KINDS,
    ) -> None:
        self.sessions = sessions
        self.worker_id = worker_id
        self.clock = clock
        self.kinds = kinds
        self.poll_seconds = 0.5
        self.recover_seconds = float(config["WORKER_HEARTBEAT_SECONDS"])
        self.worker_timeout = timedelta(seconds=config["WORKER_TIMEOUT_SECONDS"])
        self.claim_timeout = timedelta(seconds=config["CLAIM_TIMEOUT_SECONDS"])
        self.health = health if health is not None else Health()
        self.stop_event = threading.Event()
        self._running_job: int | None = None
        self._last_recovery: datetime | None = None
        self._running = Step(RUNNING_JOBS, self.health)
        self._recovering = Step("recovering jobs", self.health)

    def run(self) -> None:
        """Run jobs until `stop_event` is set; an error backs off and retries, never ends it."""
        while not self.stop_event.is_set():
            if self._recovery_due():
                self._recovering.run(self.recover)
            ran = self._running.run(self.run_once)
            if not ran:
                wait = min(self._running.retry_in(), self.recover_seconds)
                self.stop_event.wait(max(wait, self.poll_seconds))

    def _recovery_due(self) -> bool:
        last = self._last_recovery
        return last is None or (self.clock() - last).total_seconds() >= self.recover_seconds

    def recover(self) -> None:
        """Give back the jobs of gone workers, and those this worker lost track of."""
        with self.sessions() as session:
            now = self.clock()
            count = queue.recover(
                session,
                self.worker_id,
                self._running_job,
                now,
                self.worker_timeout,
                self.claim_timeout,
            )
            session.commit()
        self._last_recovery = now
        if count:
            log.warning("gave %d stuck jobs back to the queue", count)

    def run_once(self) -> bool:
        """Claim the oldest due job and run it to its end; False when no job is due."""
        with self.sessions() as session:
            job_id = queue.claim_next(session, self.worker_id, self.clock())
            session.commit()
        if job_id is None:
            return False
        self._running_job = job_id
        try:
            self.run_job(job_id)
        finally:
            self._running_job = None
        return True

    def run_job(self, job_id: int) -> JobStatus | None:
        """Run a job this worker has claimed; the status it ended in, or None when it went back
        to the queue (an unexpected error, this worker stopping) or to another worker."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            name = job.kind
            kind = self.kinds[name]
            try:
                ended = self._run(session, job, kind)
            except Exception:
                log.exception("job %s (%s) stopped with an error; it will run again", job_id, name)
                session.rollback()
                ended = self._end(session, job_id, JobStatus.PENDING)
            session.commit()
            if ended in (JobStatus.DONE, JobStatus.FAILED):
                kind.ended(job)
        return ended

    def _run(self, session: Session, job: Job, kind: Kind) -> JobStatus | None:
        job_id = job.id
        if job.attempts > queue.MAX_ATTEMPTS:
            return self._end(session, job_id, JobStatus.FAILED, error=kind.gave_up)
        try:
            # Closed when left early, so the work's files are closed at once.
            with contextlib.closing(kind.run(session, job, self.clock())) as steps:
                for _step in steps:
                    if self.stop_event.is_set():
                        return self._give_back(session, job_id)
                    if not self._commit_step(session, job_id):
                        return None
        except ServiceError as exc:
            session.rollback()
            return self._end(session, job_id, JobStatus.FAILED, error=exc.message)
        return self._end(session, job_id, JobStatus.DONE)

    def _give_back(self, session: Session, job_id: int) -> None:
        """This worker is stopping: the job waits for the next one, and the step is dropped.
        Stopping is not a failed attempt, so it is not counted."""
        session.rollback()
        self._end(session, job_id, JobStatus.PENDING, attempts=Job.attempts - 1)

    def _commit_step(self, session: Session, job_id: int) -> bool:
        """Commit a step with the claim renewed, only while this worker still holds the job."""
        if queue.renew(session, job_id, self.worker_id, self.clock()):
            session.commit()
            self.health.ok(RUNNING_JOBS)  # a long job is progress, not a stalled loop
            return True
        session.rollback()
        log.warning("job %s was given to another worker; this one stops running it", job_id)
        return False

    def _end(self, session: Session, job_id: int, status: JobStatus, **values) -> JobStatus | None:
        """Move the job (still this worker's) to `status`, with the step's work; the caller
        commits. None when the claim was lost: nothing of it is kept."""
        guard = queue.held_by(self.worker_id, job_id)
        if queue.move(session, status, self.clock(), *guard, **values):
            return status if status != JobStatus.PENDING else None
        session.rollback()
        return None
