"""Job: a piece of background work (an import; later exports, conversions) the worker claims."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.base import Base, UTCDateTime, utcnow


class JobStatus(enum.StrEnum):
    """A job's life; `outreach.jobs.queue.move` is the one place a status changes.

        pending --claimed by a worker (attempts + 1)--> running
        running --its work ended--> done
        running --its work failed for a reason the user can act on--> failed (error)
        running --its worker died, lost track of it, did not renew the claim in time, or the
            work raised an unexpected error--> pending (run again from the start)
        pending --claimed after MAX_ATTEMPTS runs that never ended--> failed (error)

    While running, the claim (`claimed_by`, `claimed_at`) is renewed in the same transaction
    that commits each step of the work, and only while it still holds: a worker that lost its
    claim commits nothing more. done and failed are final.
    """

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """One background job; `kind` names its work in `outreach.jobs.kinds` and its subclass
    (an `ImportJob` keeps its own columns in `import_jobs`, sharing the job's id)."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "ix_jobs_unfinished",
            "status",
            postgresql_where=text("status IN ('pending', 'running')"),
            sqlite_where=text("status IN ('pending', 'running')"),
        ),
    )
    __mapper_args__ = {"polymorphic_on": "kind"}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[JobStatus] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
