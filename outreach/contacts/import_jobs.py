"""Import jobs: a CSV upload imported by the worker, its progress and its report.

An `ImportJob` is a background job (see `outreach.models.job.JobStatus` for its states): the
web app saves the upload in UPLOAD_FOLDER and writes the row; whichever worker claims it runs
`run_import`, which yields after each chunk so the worker commits there — which is also the
progress the page shows. Nothing here commits.

A run always starts from the top of the file. A run cut off (its worker died) is run again by
another worker: imports are upserts, so no contact is duplicated, and the counts start again
from zero — contacts the cut-off run had created are counted as `updated` by the new one.
"""

from __future__ import annotations

import contextlib
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
from outreach.models import ImportJob, JobStatus, Region, User
from outreach.permissions import Action, check

REPORT_LIMIT = 1000  # rejected rows kept on the job for its page; all are in the report file
KEPT = (
    "The rows imported so far are kept: upload the file again to finish — rows already "
    "imported are updated, not duplicated."
)
GAVE_UP = f"The import stopped several times before the end and is not tried again. {KEPT}"
UPLOAD_GONE = (
    "The uploaded file is no longer on the server, so it cannot be imported: upload it again. "
    "(Every server process and worker must see the same UPLOAD_FOLDER.)"
)


class ImportFailed(ServiceError):
    """The upload cannot be read: the job fails with this message."""

    status = 422
    code = "import_failed"


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
        status=JobStatus.PENDING,
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


def run_import(session: Session, job: ImportJob, _now: datetime) -> Iterator[None]:
    """Import the job's upload from the top, yielding after each chunk (commit there).

    Raises `ServiceError` when the file is gone or cannot be read: the job then fails with its
    message (the rows of chunks committed before stay imported).
    """
    _start_over(job)
    user = session.get(User, job.user_id) if job.user_id else None
    scope = Scope.for_user(user) if user else Scope.everything()
    region = session.get(Region, job.region_id)
    try:
        with (
            open(job.path, "rb") as stream,
            _contact_import(session, scope, region, job, stream) as ci,
        ):
            for progress in ci.run():
                _record(job, progress)
                if progress.done:
                    _write_report(job, ci)  # the last progress is committed with the end
                else:
                    yield
    except FileNotFoundError:
        raise ImportFailed(UPLOAD_GONE) from None
    except OSError as exc:
        raise ImportFailed(f"cannot read the file: {exc}") from exc


def _contact_import(session, scope, region, job: ImportJob, stream) -> ContactImport:
    return ContactImport(
        session,
        scope,
        region,
        stream,
        consent_source=job.consent_source,
        filename=job.filename,
        list_name=job.list_name,
        user_id=job.user_id,
    )


def _start_over(job: ImportJob) -> None:
    job.processed_bytes = 0
    job.imported = job.updated = job.rejected = 0
    job.rejections = []


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


def remove_upload(job: ImportJob) -> None:
    """Remove the upload once the job has ended, done or failed: the file holds personal data."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(job.path)
