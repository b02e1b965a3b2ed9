"""Import jobs: a CSV upload imported in the background, its progress and its report.

`ImportJob.status` moves pending → running → done | failed (see the model). The steps here
never commit: `run_job_steps` yields after each chunk and the runner (a web thread) commits.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from outreach.access import Scope
from outreach.contacts.importing import ContactImport, ImportProgress
from outreach.contacts.lists import clean_list_name
from outreach.errors import NotFound, ServiceError, ValidationFailed
from outreach.models import ImportJob, ImportStatus, Region, User, utcnow
from outreach.permissions import Action, check

REPORT_LIMIT = 1000  # rejected rows kept on the job for its page; all are in the report file
ACTIVE = (ImportStatus.PENDING, ImportStatus.RUNNING)


def create_job(
    session: Session,
    scope: Scope,
    region: Region,
    *,
    filename: str,
    path: str,
    consent_source: str,
    list_name: str | None = None,
) -> ImportJob:
    """A pending import of the file saved at `path` into a region the user may see."""
    check(scope.role, Action.IMPORT)
    scope.check(region.id, "region")
    consent_source = (consent_source or "").strip()
    if not consent_source:
        raise ValidationFailed("say where consent came from", {"field": "consent_source"})
    job = ImportJob(
        user_id=scope.user_id,
        region_id=region.id,
        list_name=clean_list_name(list_name) if list_name and list_name.strip() else None,
        consent_source=consent_source,
        filename=filename[:255],
        path=path,
        status=ImportStatus.PENDING,
        total_bytes=os.path.getsize(path),
        rejections=[],
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, scope: Scope, job_id: int) -> ImportJob:
    """One job of a region the user may see; NotFound otherwise."""
    job = session.get(ImportJob, job_id)
    if job is None or not scope.allows(job.region_id):
        raise NotFound("import not found")
    return job


def recent_jobs(session: Session, scope: Scope, limit: int = 50) -> list[tuple[ImportJob, Region]]:
    """The latest jobs of the user's regions, newest first, each with its region."""
    stmt = (
        select(ImportJob, Region)
        .join(Region, Region.id == ImportJob.region_id)
        .order_by(ImportJob.id.desc())
        .limit(limit)
    )
    stmt = scope.apply(stmt, ImportJob.region_id)
    return [(job, region) for job, region in session.execute(stmt)]


def report_path(job: ImportJob) -> str:
    """Where the full list of rejected rows (line, reason) is written when the job ends."""
    return f"{job.path}.rejected.csv"


def run_job_steps(session: Session, job_id: int) -> Iterator[ImportJob]:
    """Run a pending job, yielding after each step (start, every chunk, end): commit there."""
    job = session.get(ImportJob, job_id)
    if job is None or job.status != ImportStatus.PENDING:
        return
    job.status = ImportStatus.RUNNING
    yield job
    user = session.get(User, job.user_id) if job.user_id else None
    scope = Scope.for_user(user) if user else Scope.everything()
    region = session.get(Region, job.region_id)
    try:
        with (
            open(job.path, "rb") as stream,
            ContactImport(
                session,
                scope,
                region,
                stream,
                consent_source=job.consent_source,
                filename=job.filename,
                list_name=job.list_name,
                user_id=job.user_id,
            ) as contact_import,
        ):
            for progress in contact_import.run():
                _record(job, progress)
                if progress.done:
                    _write_report(job, contact_import)
                    finish(job, ImportStatus.DONE)
                yield job
    except (ServiceError, OSError) as exc:
        session.rollback()
        job = session.get(ImportJob, job_id)
        fail(job, getattr(exc, "message", None) or f"cannot read the file: {exc}")
        yield job


def _record(job: ImportJob, progress: ImportProgress) -> None:
    job.processed_bytes = progress.processed_bytes
    job.total_bytes = progress.total_bytes
    job.imported, job.updated, job.rejected = progress.imported, progress.updated, progress.rejected
    room = REPORT_LIMIT - len(job.rejections)
    if room > 0 and progress.new_rejections:
        kept = [[r.line, r.reason] for r in progress.new_rejections[:room]]
        job.rejections = [*job.rejections, *kept]  # a new list, so the change is saved


def _write_report(job: ImportJob, contact_import: ContactImport) -> None:
    with open(report_path(job), "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason"])
        writer.writerows((r.line, r.reason) for r in contact_import.rejections())


def finish(job: ImportJob, status: ImportStatus, now: datetime | None = None) -> None:
    """End a job (done or failed) and remove its upload: the file holds personal data."""
    job.status = status
    job.finished_at = now or utcnow()
    if job.path and os.path.exists(job.path):
        os.remove(job.path)


def fail(job: ImportJob, error: str) -> None:
    """Mark a job failed with a message for the person who started it."""
    job.error = error
    finish(job, ImportStatus.FAILED)


def fail_if_abandoned(job: ImportJob, held: bool) -> bool:
    """A job still pending or running that no worker holds was cut off (the server stopped).

    Rows already imported stay imported; importing the file again updates them, it does not
    duplicate them. Returns whether the job was marked failed.
    """
    if job.status not in ACTIVE or held:
        return False
    fail(
        job,
        "The import stopped before the end (the server was restarted) after "
        f"{job.imported + job.updated + job.rejected} rows. The rows imported so far are kept: "
        "upload the file again to finish — rows already imported are updated, not duplicated.",
    )
    return True
