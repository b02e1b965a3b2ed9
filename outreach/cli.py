"""The `outreach` command: serve, worker, db, demo, users, tokens, contacts."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from outreach.errors import ServiceError
from outreach.extensions import db


def _create_app(*_args) -> Flask:
    from outreach import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=True,
)
def main() -> None:
    """MRC Outreach: SMS and voice-menu outreach for Migrant Resource Centres."""


def _fail(exc: ServiceError) -> None:
    db.session.rollback()
    raise click.ClickException(exc.message)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Serve the web app only; run `outreach worker`.")
@with_appcontext
def serve_command(host: str, port: int, no_worker: bool) -> None:
    """Serve the web app with an in-process worker (scheduler and dispatcher).

    When the worker cannot reach the database for WORKER_GIVE_UP_SECONDS, this whole process
    exits with status 75, for its supervisor to restart it.
    """
    from flask import current_app
    from werkzeug.serving import run_simple

    from outreach.worker import Worker

    app = current_app._get_current_object()
    # Where this process itself answers: the simulator's callbacks are addressed here when
    # PUBLIC_BASE_URL is not set (webhook signatures still follow PUBLIC_BASE_URL or the request).
    app.config["LOCAL_BASE_URL"] = f"http://{host}:{port}"
    if app.config["OUTREACH_PROVIDER"] == "twilio" and not app.config.get("PUBLIC_BASE_URL"):
        click.echo(
            "warning: PUBLIC_BASE_URL is not set, so Twilio cannot reach the status callbacks",
            err=True,
        )
    worker = None if no_worker else Worker(app)
    if worker is not None:
        worker.start()
    provider = app.config["OUTREACH_PROVIDER"]
    click.echo(f"MRC Outreach on http://{host}:{port}/ (provider: {provider})")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if worker is not None:
            worker.stop()


@click.command("worker")
@click.option(
    "--concurrency",
    default=32,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Provider requests in flight at once.",
)
@with_appcontext
def worker_command(concurrency: int) -> None:
    """Run the scheduler and the dispatcher until stopped (SIGTERM or Ctrl-C).

    Database errors are retried with backoff; when a loop cannot recover for
    WORKER_GIVE_UP_SECONDS the worker exits with status 75, for its supervisor to restart it.
    """
    import signal
    import threading

    from flask import current_app

    from outreach.worker import Worker, settings_from

    app = current_app._get_current_object()
    worker = Worker(app, settings=settings_from(app.config, concurrency))
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    worker.start()
    click.echo(
        f"worker {worker.dispatcher.worker_id} started "
        f"(provider: {app.config['OUTREACH_PROVIDER']})",
        err=True,
    )
    stopping.wait()
    click.echo("stopping: letting requests in flight finish", err=True)
    worker.stop()


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load demo users, lists and contacts, and print how to log in."""
    from flask import current_app

    from outreach.demo import DEMO_USERS, database_is_empty, load_demo

    if not database_is_empty(db.session):
        if if_empty:
            click.echo("The database has data already; demo data not loaded.")
            _print_logins(DEMO_USERS)
            return
        raise click.ClickException("the database has data already; demo data not loaded")
    with click.progressbar(length=1, label="Loading demo data") as bar:
        load_demo(db.session, password_method=current_app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
        bar.update(1)
    _print_logins(DEMO_USERS)


def _print_logins(users) -> None:
    click.echo("Log in at http://127.0.0.1:5000/login with one of (demo accounts):")
    for email, role, _regions, password in users:
        click.echo(f"  {role:<12} {email:<34} password: {password}")


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "counsellor"]))
@click.option("--region", "regions", multiple=True, help="Region code; repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email: str, role: str, regions: tuple[str, ...], password_stdin: bool):
    """Create a user with a role and regions."""
    from flask import current_app

    from outreach.accounts.service import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        user = create_user(db.session, email, role, list(regions), password, method)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    where = ", ".join(r.code for r in user.regions) or "all regions"
    click.echo(f"created {user.role} {user.email} ({where})", err=True)


@click.group("tokens")
def tokens_group() -> None:
    """API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default=None, help="What the token is for.")
@with_appcontext
def create_token_command(email: str, name: str | None) -> None:
    """Create an API token for a user and print it (alone) on standard output."""
    from outreach.accounts.service import create_token

    try:
        token = create_token(db.session, email, name)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(token)


@click.group("contacts")
def contacts_group() -> None:
    """Contacts."""


@contacts_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--region", "region_code", required=True, help="Region (MRC) code, e.g. pk-isb.")
@click.option("--list", "list_name", default=None, help="Also add every imported contact here.")
@click.option(
    "--consent-source",
    required=True,
    help="Where and how these people gave consent, e.g. 'sign-up sheet, job fair 3 May'.",
)
@with_appcontext
def import_contacts_command(
    file: str, region_code: str, list_name: str | None, consent_source: str
) -> None:
    """Import contacts from a CSV file (columns: phone, and optionally name, language, list).

    Prints `imported N, updated N, rejected N`, then `line L: REASON` per rejected row. Exits
    non-zero only when the file cannot be read at all.
    """
    from outreach.access import Scope
    from outreach.contacts.importing import ContactImport
    from outreach.regions import region_by_code

    try:
        # Opened here, not in a `with`, to turn a missing file into a one-line message.
        stream = open(file, "rb")  # noqa: SIM115
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror}") from None
    with stream:
        try:
            region = region_by_code(db.session, Scope.everything(), region_code)
            job = ContactImport(
                db.session,
                Scope.everything(),
                region,
                stream,
                consent_source=consent_source,
                filename=os.path.basename(file),
                list_name=list_name,
            )
            with job:
                progress = _run_import(job)
                click.echo(
                    f"imported {progress.imported}, updated {progress.updated}, "
                    f"rejected {progress.rejected}"
                )
                for rejection in job.rejections():
                    click.echo(f"line {rejection.line}: {rejection.reason}")
        except ServiceError as exc:
            _fail(exc)


def _run_import(job):
    """Run an import, committing after each chunk; a progress bar when stderr is a terminal."""
    progress = None
    if not sys.stderr.isatty():
        for step in job.run():
            db.session.commit()
            progress = step
        return progress
    with click.progressbar(length=100, label="Importing", file=sys.stderr) as bar:
        shown = 0
        for progress in job.run():
            db.session.commit()
            percent = progress.processed_bytes * 100 // max(progress.total_bytes, 1)
            bar.update(percent - shown)
            shown = percent
    return progress


def register_cli(app: Flask) -> None:
    """Attach the commands to the app, so `flask --app wsgi` has them too."""
    from flask_migrate.cli import db as db_group

    for command in (
        serve_command,
        worker_command,
        demo_command,
        users_group,
        tokens_group,
        contacts_group,
    ):
        app.cli.add_command(command)
    if "db" not in app.cli.commands:
        app.cli.add_command(db_group)


if __name__ == "__main__":
    main()
