"""The import page: upload, a job a worker runs (`run_jobs`), its progress and its report."""

from __future__ import annotations

import io
import os

from sqlalchemy import func, select

from outreach.access import Scope
from outreach.contacts.import_jobs import create_job
from outreach.extensions import db
from outreach.models import AuditEvent, Contact, ImportJob, JobStatus

CSV = (
    "\ufeffPhone;Name;Language\n"
    "0300 1234567;Иван Петров;ru\n"
    "0300-7654321;علی خان;\n"
    "12345;bad;\n"
    "0300 123 4567;again;\n"
).encode()


def _upload(client, data=CSV, region="pk-isb", **fields):
    form = {
        "file": (io.BytesIO(data), "contacts.csv"),
        "region": region,
        "consent_source": "sign-up sheet, job fair",
        **fields,
    }
    return client.post("/imports/new", data=form, content_type="multipart/form-data")


def _run(client, run_jobs, job_id: int) -> dict:
    """The page waits for a worker: run the job as one does, and read the finished status."""
    status = client.get(f"/imports/{job_id}.json").get_json()
    assert status["status"] == "pending" and not status["finished"]
    assert run_jobs() == 1
    status = client.get(f"/imports/{job_id}.json").get_json()
    assert status["finished"], status
    return status


def _job_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_upload_runs_the_job_and_shows_the_report(app, client, make_user, login, run_jobs):
    user = make_user("coordinator", ["pk-isb"])
    login(user)
    assert client.get("/imports/new").status_code == 200
    job_id = _job_id(_upload(client, list_name="Job fair"))

    status = _run(client, run_jobs, job_id)
    assert status["status"] == "done"
    assert (status["imported"], status["updated"], status["rejected"]) == (2, 0, 2)
    assert status["percent"] == 100

    page = client.get(f"/imports/{job_id}").get_data(as_text=True)
    assert "Import finished" in page
    assert '<td class="num">4</td><td>not a valid number</td>' in page
    assert "duplicate in file (first on line 2)" in page
    contact = db.session.execute(
        select(Contact).where(Contact.phone == "+923001234567")
    ).scalar_one()
    assert contact.name == "Иван Петров"

    job = db.session.get(ImportJob, job_id)
    assert job.user_id == user.id and job.list_name == "Job fair"
    assert not os.path.exists(job.path)  # the upload is removed once imported
    with client.get(f"/imports/{job_id}/rejected.csv") as report:
        assert report.status_code == 200
        assert report.get_data(as_text=True).splitlines() == [
            "line,reason",
            "4,not a valid number",
            "5,duplicate in file (first on line 2)",
        ]
    audit = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "contacts.import")
    ).scalar_one()
    assert audit.user_id == user.id and audit.details["file"] == "contacts.csv"
    assert "contacts.csv" in client.get("/imports").get_data(as_text=True)


def test_a_file_without_phone_column_fails_with_its_reason(app, client, make_user, login, run_jobs):
    login(make_user("coordinator", ["pk-isb"]))
    job_id = _job_id(_upload(client, data=b"name,number\nAli,0300 1234567\n"))
    status = _run(client, run_jobs, job_id)
    assert status["status"] == "failed"
    assert "no phone column" in status["error"]
    assert "no phone column" in client.get(f"/imports/{job_id}").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_region_choice_is_limited_to_the_users_regions(app, client, make_user, login):
    login(make_user("coordinator", ["pk-isb"]))
    page = client.get("/imports/new").get_data(as_text=True)
    assert 'value="pk-isb"' in page and 'value="kg-osh"' not in page
    response = _upload(client, region="kg-osh")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_consent_source_is_required(app, client, make_user, login):
    login(make_user("coordinator", ["pk-isb"]))
    response = _upload(client, consent_source="  ")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


def _job_of(region, user, tmp_path, status=JobStatus.DONE) -> ImportJob:
    path = tmp_path / f"upload-{region.code}.csv"
    path.write_bytes(CSV)
    job = create_job(
        db.session,
        Scope.for_user(user),
        region,
        filename="other.csv",
        path=str(path),
        consent_source="sheet",
    )
    job.status = status
    db.session.commit()
    return job


def test_a_job_of_another_region_is_not_found(app, client, make_user, login, region, tmp_path):
    other = make_user("coordinator", ["kg-osh"])
    job = _job_of(region("kg-osh"), other, tmp_path)
    login(make_user("coordinator", ["pk-isb"]))
    assert client.get(f"/imports/{job.id}").status_code == 404
    assert client.get(f"/imports/{job.id}.json").status_code == 404
    assert client.get(f"/imports/{job.id}/rejected.csv").status_code == 404
    assert "other.csv" not in client.get("/imports").get_data(as_text=True)


def test_counsellors_may_not_import(app, client, make_user, login):
    login(make_user("counsellor", ["pk-isb"]))
    assert client.get("/imports/new").status_code == 403
    assert _upload(client).status_code == 403
    assert client.get("/imports").status_code == 403


def test_login_required(app, client):
    response = client.get("/imports/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_page_only_reads_a_job_a_worker_is_running(
    app, client, make_user, login, region, tmp_path
):
    """Whichever process serves the page, it never decides a running job is dead: the worker
    holding it (maybe in another process) does the work, and recovery is the workers' alone."""
    user = make_user("coordinator", ["pk-isb"])
    job = _job_of(region("pk-isb"), user, tmp_path, status=JobStatus.RUNNING)
    login(user)
    status = client.get(f"/imports/{job.id}.json").get_json()
    assert status["status"] == "running" and not status["finished"] and status["error"] is None
    assert "Importing" in client.get(f"/imports/{job.id}").get_data(as_text=True)
    assert "other.csv" in client.get("/imports").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ImportJob, job.id).status == JobStatus.RUNNING
    assert os.path.exists(job.path)


def test_a_job_whose_upload_is_gone_fails_with_a_clear_message(
    app, client, make_user, login, region, tmp_path, run_jobs
):
    user = make_user("coordinator", ["pk-isb"])
    job = _job_of(region("pk-isb"), user, tmp_path, status=JobStatus.PENDING)
    os.remove(job.path)
    login(user)
    status = _run(client, run_jobs, job.id)
    assert status["status"] == "failed"
    assert "no longer on the server" in status["error"] and "upload it again" in status["error"]
    assert "no longer on the server" in client.get(f"/imports/{job.id}").get_data(as_text=True)
