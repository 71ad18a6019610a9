"""`tracker backup -o FILE` and `tracker restore FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ..errors import ServiceError


def _show(table: str, rows: int) -> None:
    click.echo(f"{table}: {rows} rows", err=True)


@click.command("backup")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The backup file to write (gzip'd JSON lines, readable by its owner only).",
)
@with_appcontext
def backup_command(output: Path):
    """Write every table of the database, as stored, to one file. Safe while the server runs;
    restricted values stay encrypted, so the file is of no use without the data key."""
    from .service import write_backup

    try:
        rows = write_backup(output, progress=_show)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"Cannot write {output}: {exc.strerror or exc}.") from None
    click.echo(f"Backed up {rows} rows to {output}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path):
    """Load a backup into an empty database, SQLite or PostgreSQL, whichever engine wrote it.
    A database with no tables gets its schema from the migrations first."""
    from .service import restore_backup

    click.echo(f"Checking {file.name} …", err=True)
    try:
        rows = restore_backup(file, progress=_show)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {rows} rows from {file.name}.")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
