"""ImportJob: one CSV upload of contacts, its progress and its report."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from outreach.models.job import Job


class ImportJob(Job):
    """A contacts import started from the web UI: a `Job` of kind `import` (its status, claim
    and error are the job's); the page polls it for progress.

    The upload waits at `path`, in UPLOAD_FOLDER, for whichever worker claims the job; it is
    removed when the job ends, done or failed.
    """

    __tablename__ = "import_jobs"
    __mapper_args__ = {"polymorphic_identity": "import"}

    id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    list_name: Mapped[str | None] = mapped_column(String(120))
    consent_source: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    total_bytes: Mapped[int] = mapped_column(default=0)
    processed_bytes: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    rejections: Mapped[list] = mapped_column(JSON, default=list)
