"""The kinds of background job: what each does, and what it leaves behind when it ends.

A kind's `run(session, job, now)` does the work, yielding after each step; the runner commits
there, with the job's claim renewed. It never commits itself. Raising `ServiceError` ends the
job `failed` with the error's message (for the person who started it); any other error is
unexpected, and the job runs again from the start (see `JobStatus`), so a step must be safe to
repeat. Voice-prompt conversions, exports and retention will be kinds here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from outreach.contacts.import_jobs import GAVE_UP, remove_upload, run_import
from outreach.models import Job


def _nothing(_job: Job) -> None:
    return None


@dataclass(frozen=True)
class Kind:
    """One kind of job."""

    run: Callable[[Session, Job, datetime], Iterator[None]]
    # After the job has ended (done or failed) and that is committed: remove what it left.
    ended: Callable[[Job], None] = _nothing
    # The error of a job that was claimed too many times without ending.
    gave_up: str = "The job stopped too many times before the end and is not tried again."


KINDS: dict[str, Kind] = {
    "import": Kind(run=run_import, ended=remove_upload, gave_up=GAVE_UP),
}
