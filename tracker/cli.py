"""The app's commands (`tracker …` or `flask --app tracker …`; the console script itself is
tracker/__main__.py). Core commands live here; feature packages add theirs through their own
`cli.register`.
"""

from __future__ import annotations

import click
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext

from . import mail
from .errors import ServiceError
from .taxonomy import ROLES


def register_commands(app: Flask) -> None:
    from .backup.cli import register as register_backup
    from .exchange.cli import register as register_exchange
    from .protection.cli import register as register_protection
    from .regions.cli import register as register_regions
    from .reports.cli import register as register_reports
    from .rotation import rotate_key_command

    app.cli.add_command(init_db)
    app.cli.add_command(create_user_command)
    app.cli.add_command(reset_password_command)
    app.cli.add_command(rotate_key_command)
    register_regions(app)
    register_exchange(app)
    register_reports(app)
    register_backup(app)
    register_protection(app)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema to the latest migration."""
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("Database is up to date.")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--name", default="", help="Display name.")
@click.password_option(
    help="Asked for if not given (never echoed or logged). At least 12 characters and not easy to guess: "
    "several unrelated words are best."
)
@with_appcontext
def create_user_command(email: str, role: str, name: str, password: str):
    """Create a user account with a role."""
    from .auth.service import create_user

    try:
        user = create_user(email, role, password, name=name)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.email} with role {user.role}.")


@click.command("reset-password")
@click.argument("email")
@with_appcontext
def reset_password_command(email: str):
    """Print a link that lets the user set a new password: valid once, for 24 hours."""
    from .auth.service import find_user, make_reset_link

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the email {email}.")
    token = make_reset_link(user)
    with current_app.test_request_context():
        path = url_for("auth.reset_with_link", token=token)
    click.echo(f"Give {user.email} this address on the tracker (it works once, for 24 hours):")
    click.echo(path)
    if mail.configured():
        _mail_link(user, path)


def _mail_link(user, path: str) -> None:
    """With SMTP configured, the link goes by mail too, as a full address under BASE_URL."""
    from .auth.service import mail_reset_link

    base = current_app.config["BASE_URL"].rstrip("/")
    if not base:
        click.echo("Not sent by mail: set TRACKER_BASE_URL (e.g. https://tracker.example.org) to mail links.")
        return
    try:
        mail_reset_link(user, base + path)
    except mail.MailError as exc:
        click.echo(f"Not sent by mail: {exc}")
    else:
        click.echo(f"Also sent by mail to {user.email}.")
