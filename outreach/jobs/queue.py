"""The job queue: claiming due jobs, renewing claims, giving back those of gone workers.

Every function takes a session and `now`; none commits. The status machine is written down on
`outreach.models.job.JobStatus`; `move` is the one place a status changes. Claims follow the
outbox's rules: a job claimed by a worker that no longer beats (`WorkerHeartbeat`) or whose
claim nobody renewed in time goes back to `pending`, for any worker to run again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from outreach.models import Job, JobStatus, WorkerHeartbeat

# A job claimed this many times without ending is failed at its next claim, not run again.
MAX_ATTEMPTS = 3

# The statuses a job may move from to reach each status.
_FROM = {
    JobStatus.RUNNING: (JobStatus.PENDING,),
    JobStatus.PENDING: (JobStatus.RUNNING,),
    JobStatus.DONE: (JobStatus.RUNNING,),
    JobStatus.FAILED: (JobStatus.RUNNING,),
}


def move(session: Session, new: JobStatus, now: datetime, *where: ColumnElement, **values) -> int:
    """Move the jobs matching `where` to `new` in one conditional UPDATE, only from a status
    allowed to reach it (so a guard in `where` holds when the move commits); how many moved."""
    values = {"status": new, **values}
    if new != JobStatus.RUNNING:
        values["claimed_by"] = None
    if new in (JobStatus.DONE, JobStatus.FAILED):
        values["finished_at"] = now
    result = session.execute(
        update(Job).where(Job.status.in_(_FROM[new]), *where).values(**values),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def claim_next(session: Session, worker_id: str, now: datetime) -> int | None:
    """Claim the oldest pending job for this worker; its id, or None when none is due.

    On PostgreSQL the row is locked with SKIP LOCKED, so two workers never claim one job;
    SQLite has one writer at a time, which gives the same guarantee.
    """
    due = select(Job.id).where(Job.status == JobStatus.PENDING).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=Job, skip_locked=True)
    job_id = session.execute(due).scalar()
    if job_id is None:
        return None
    claimed = move(
        session,
        JobStatus.RUNNING,
        now,
        Job.id == job_id,
        claimed_by=worker_id,
        claimed_at=now,
        attempts=Job.attempts + 1,
    )
    return job_id if claimed else None


def renew(session: Session, job_id: int, worker_id: str, now: datetime) -> bool:
    """Renew this worker's claim on a running job; False when it no longer holds it (then
    nothing of the step may be committed: another worker runs the job now)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.claimed_by == worker_id, Job.status == JobStatus.RUNNING)
        .values(claimed_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def held_by(worker_id: str, job_id: int) -> tuple[ColumnElement, ...]:
    """The guard of a move by the worker running a job: the job is that one, and still its."""
    return (Job.id == job_id, Job.claimed_by == worker_id)


def recover(
    session: Session,
    worker_id: str,
    running: int | None,
    now: datetime,
    worker_timeout: timedelta,
    claim_timeout: timedelta,
) -> int:
    """Give stuck running jobs back to the queue; how many.

    A claim is stuck when its worker is gone (no heartbeat within `worker_timeout`, and the
    claim older than that, so a worker that has just started is given time to beat); when it
    is this worker's but not the job it is `running` (it lost track of it while the database
    was away); or when no one renewed it within `claim_timeout` (a step that never ends).
    """
    alive = select(WorkerHeartbeat.id).where(WorkerHeartbeat.beat_at >= now - worker_timeout)
    gone = and_(Job.claimed_by.not_in(alive), Job.claimed_at < now - worker_timeout)
    lost = Job.claimed_by == worker_id
    if running is not None:
        lost = and_(lost, Job.id != running)
    stale = Job.claimed_at < now - claim_timeout
    return move(session, JobStatus.PENDING, now, or_(gone, lost, stale))
