"""A web import across real server processes on PostgreSQL: uploaded through one, its page
polled through another, run by a worker — and finished by another worker when that one dies.

Every process is a real `outreach serve` or `outreach worker` on the test database, spoken to
over HTTP with a logged-in session and the CSRF token of each form, as a browser does.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import func, select
from worker_support import start_worker, stop, wait_until

from outreach.extensions import db
from outreach.models import AuditEvent, Contact, ImportJob, JobStatus

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several server and worker processes share one database on PostgreSQL",
)

PASSWORD = "correct horse battery"  # what the `make_user` fixture gives every user
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _env(app, tmp_path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "shared-by-every-process",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "OUTREACH_PROVIDER": "simulator",
        "OUTREACH_HEARTBEAT_SECONDS": "0.5",
        "OUTREACH_WORKER_TIMEOUT": "2",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(env: dict, log_path, worker: bool) -> subprocess.Popen:
    """`outreach serve` on a free port (with its worker, or `--no-worker`); `.url` is its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "outreach.cli", "serve", "--port", str(port)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command + ([] if worker else ["--no-worker"]),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    process.log_path = log_path
    process.url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(process.url), 60, [process])
    return process


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/login", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False


def _csrf(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    return CSRF.search(page.text).group(1)


def _log_in(browser: requests.Session, server_url: str, user) -> None:
    token = _csrf(browser, f"{server_url}/login")
    form = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    response = browser.post(f"{server_url}/login", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]


def _upload(browser: requests.Session, server_url: str, content: bytes) -> int:
    """Upload a CSV through the form of `server_url`; the new job's id."""
    token = _csrf(browser, f"{server_url}/imports/new")
    fields = {"region": "pk-isb", "consent_source": "job fair sign-up sheet", "csrf_token": token}
    files = {"file": ("job-fair.csv", content, "text/csv")}
    response = browser.post(
        f"{server_url}/imports/new", data=fields, files=files, allow_redirects=False, timeout=60
    )
    assert response.status_code == 302, response.text[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _status(browser: requests.Session, server_url: str, job_id: int) -> dict:
    response = browser.get(f"{server_url}/imports/{job_id}.json", timeout=10)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _csv(rows: int) -> tuple[bytes, int, int]:
    """A CSV of `rows` lines: the bytes, how many are good numbers, how many are rejected."""
    lines, rejected = ["phone;name"], 0
    for i in range(rows):
        if i % 97 == 5:
            lines.append(f"12{i};Bad {i}")  # not a valid number
            rejected += 1
        else:
            lines.append(f"0300 {1000000 + i};Person {i}")
    return ("\n".join(lines) + "\n").encode(), rows - rejected, rejected


def _wait_finished(browser, server_url, job_id, processes, timeout=180) -> dict:
    seen = {}

    def finished() -> bool:
        seen.update(_status(browser, server_url, job_id))
        assert seen["status"] != "failed", seen
        return seen["finished"]

    wait_until(finished, timeout, processes)
    return seen


def _contacts() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Contact))


def test_an_import_uploaded_to_one_server_and_polled_through_another_finishes(
    app, make_user, tmp_path
):
    user = make_user("coordinator", ["pk-isb"])
    content, good, bad = _csv(3000)
    env = _env(app, tmp_path)
    receiving = _serve(env, tmp_path / "receiving.log", worker=False)
    polled = _serve(env, tmp_path / "polled.log", worker=True)  # the worker runs inside it
    processes = [receiving, polled]
    try:
        browser = requests.Session()
        _log_in(browser, receiving.url, user)
        job_id = _upload(browser, receiving.url, content)
        status = _wait_finished(browser, polled.url, job_id, processes)
        assert (status["status"], status["percent"]) == ("done", 100)
        assert (status["imported"], status["updated"], status["rejected"]) == (good, 0, bad)
        page = browser.get(f"{receiving.url}/imports/{job_id}", timeout=10).text
        assert "Import finished" in page
        assert all(process.poll() is None for process in processes)
    finally:
        for process in processes:
            stop(process)

    assert _contacts() == good
    job = db.session.get(ImportJob, job_id)
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.DONE, 1, None)
    assert not os.path.exists(job.path)


def test_a_worker_that_dies_mid_import_leaves_it_to_another_that_finishes_it(
    app, make_user, tmp_path
):
    user = make_user("coordinator", ["pk-isb"])
    content, good, bad = _csv(150_000)
    env = _env(app, tmp_path)
    # The server that receives the upload runs the worker that claims it, and dies mid-import.
    receiving = _serve(env, tmp_path / "receiving.log", worker=True)
    polled = _serve(env, tmp_path / "polled.log", worker=False)
    later = None
    try:
        browser = requests.Session()
        _log_in(browser, receiving.url, user)
        job_id = _upload(browser, receiving.url, content)
        wait_until(lambda: _status(browser, polled.url, job_id)["imported"] > 0, 120, [receiving])
        receiving.send_signal(signal.SIGSTOP)  # frozen first, so what it left can be read
        frozen = _status(browser, polled.url, job_id)
        assert frozen["status"] == "running" and 0 < frozen["imported"] < good, frozen
        receiving.send_signal(signal.SIGKILL)
        receiving.wait()
        time.sleep(3)  # longer than the worker timeout: nobody may have failed it meanwhile
        assert _status(browser, polled.url, job_id)["status"] == "running"

        later = start_worker(env, tmp_path / "later.log")
        status = _wait_finished(browser, polled.url, job_id, [polled, later])
    finally:
        for process in (receiving, polled, later):
            if process is not None:
                stop(process)

    # Run again from the top: the contacts the dead worker created count as updated.
    assert status["status"] == "done"
    assert status["imported"] + status["updated"] == good and status["rejected"] == bad
    assert status["updated"] >= frozen["imported"] > 0 and status["imported"] > 0
    assert _contacts() == good
    job = db.session.get(ImportJob, job_id)
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.DONE, 2, None)
    assert not os.path.exists(job.path)
    audits = db.session.execute(select(AuditEvent).where(AuditEvent.action == "contacts.import"))
    [audit] = audits.scalars()
    assert audit.details["imported"] == status["imported"]
