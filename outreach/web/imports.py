"""CSV import of contacts in the web UI: upload, a progress bar while it runs, then the report.

The upload is saved in UPLOAD_FOLDER and the job written as a row; a worker (`outreach worker`,
or the one inside `outreach serve`) claims and runs it (`outreach.jobs`). These pages only read
the row, so any server process may serve them while any worker runs the job.
"""

from __future__ import annotations

import os
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from outreach.access import Scope
from outreach.contacts.import_jobs import create_job, get_job, recent_jobs, report_path
from outreach.errors import ServiceError
from outreach.extensions import db
from outreach.models import ImportJob, JobStatus, Region
from outreach.permissions import Action
from outreach.regions import list_regions, region_by_code
from outreach.web.guard import requires

bp = Blueprint("imports", __name__, template_folder="templates")


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])
    region = SelectField("Region (MRC)", validators=[DataRequired()])
    list_name = StringField("Add everyone to the list", validators=[Optional(), Length(max=120)])
    consent_source = TextAreaField(
        "Consent source", validators=[DataRequired("Say where consent came from."), Length(max=500)]
    )


def _scope() -> Scope:
    """The user's scope (every view here requires `Action.IMPORT`)."""
    return Scope.for_user(current_user)


@bp.route("/imports")
@requires(Action.IMPORT)
def index():
    """Recent imports of the user's regions."""
    scope = _scope()
    jobs = recent_jobs(db.session, scope)
    return render_template("imports/index.html", jobs=jobs)


@bp.route("/imports/new", methods=["GET", "POST"])
@requires(Action.IMPORT)
def new():
    """Upload a CSV file; a worker imports it and its page shows the progress."""
    scope = _scope()
    form = ImportForm()
    regions = list_regions(db.session, scope)
    form.region.choices = [(r.code, f"{r.name} ({r.code})") for r in regions]
    if form.validate_on_submit():
        try:
            job = _start(scope, form)
        except ServiceError as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, exc.message]
        else:
            return redirect(url_for("imports.show", job_id=job.id))
    return render_template("imports/new.html", form=form), 422 if form.errors else 200


def _start(scope: Scope, form: ImportForm) -> ImportJob:
    region = region_by_code(db.session, scope, form.region.data)
    upload = form.file.data
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, f"import-{uuid.uuid4().hex}.csv")
    upload.save(path)
    try:
        job = create_job(
            db.session,
            scope,
            region,
            filename=os.path.basename(upload.filename or "upload.csv"),
            path=path,
            consent_source=form.consent_source.data,
            list_name=form.list_name.data,
        )
    except ServiceError:
        os.remove(path)
        raise
    db.session.commit()
    return job


def _job(job_id: int) -> tuple[ImportJob, Region]:
    job = get_job(db.session, _scope(), job_id)
    return job, db.session.get(Region, job.region_id)


@bp.route("/imports/<int:job_id>")
@requires(Action.IMPORT)
def show(job_id: int):
    """A job's progress bar while it runs; its counts and rejected rows when it is done."""
    job, region = _job(job_id)
    return render_template("imports/show.html", job=job, region=region, status=_status(job))


@bp.route("/imports/<int:job_id>.json")
@requires(Action.IMPORT)
def status(job_id: int):
    """A job's progress, polled by the page's script."""
    job, _region = _job(job_id)
    return jsonify(_status(job))


@bp.route("/imports/<int:job_id>/rejected.csv")
@requires(Action.IMPORT)
def rejected(job_id: int):
    """Every rejected row of a finished job (line and reason) as CSV."""
    job, _region = _job(job_id)
    path = report_path(job)
    if job.status != JobStatus.DONE or not os.path.exists(path):
        abort(404)
    name = f"{os.path.splitext(job.filename)[0]}-rejected.csv"
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=name)


def _status(job: ImportJob) -> dict:
    total = max(job.total_bytes, 1)
    return {
        "id": job.id,
        "status": job.status,
        "finished": job.status in (JobStatus.DONE, JobStatus.FAILED),
        "processed_bytes": job.processed_bytes,
        "total_bytes": job.total_bytes,
        "percent": min(100, job.processed_bytes * 100 // total),
        "imported": job.imported,
        "updated": job.updated,
        "rejected": job.rejected,
        "error": job.error,
    }
