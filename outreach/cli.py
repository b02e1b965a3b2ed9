"""The `outreach` command: serve, worker, db, demo, users, tokens, contacts."""

from __future__ import annotations

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
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web app (and, once campaigns exist, the in-process worker)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    click.echo(
        f"MRC Outreach on http://{host}:{port}/ (provider: {app.config['OUTREACH_PROVIDER']})"
    )
    run_simple(host, port, app, threaded=True, use_reloader=False)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load demo users, lists and contacts, and print how to log in."""
    from outreach.demo import DEMO_USERS, database_is_empty, load_demo

    if not database_is_empty(db.session):
        if if_empty:
            click.echo("The database has data already; demo data not loaded.")
            _print_logins(DEMO_USERS)
            return
        raise click.ClickException("the database has data already; demo data not loaded")
    with click.progressbar(length=1, label="Loading demo data") as bar:
        load_demo(db.session)
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
    from outreach.accounts.service import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(db.session, email, role, list(regions), password)
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


def register_cli(app: Flask) -> None:
    """Attach the commands to the app, so `flask --app wsgi` has them too."""
    from flask_migrate.cli import db as db_group

    for command in (serve_command, demo_command, users_group, tokens_group, contacts_group):
        app.cli.add_command(command)
    if "db" not in app.cli.commands:
        app.cli.add_command(db_group)
