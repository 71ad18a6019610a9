"""`tracker import`, `tracker export`, `tracker demo` and `tracker demo-setup`.

The commands run as the system (full access); the work is done by the importer, the
exporter and the demo module, which the web views and benchmarks share.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ..console import ProgressLine, filter_options, filters_from_options
from ..errors import ServiceError
from .formats import FORMATS

APP_URL = "http://127.0.0.1:5000"
WARNINGS_SHOWN = 20


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "acled"]),
    help="csv: the canonical CSV; xlsx: its columns in a workbook; acled: ACLED's export. "
    "Default: told by the file's name and header.",
)
@click.option("--dry-run", is_flag=True, help="Check every row, store nothing.")
@click.option("--skip-invalid", is_flag=True, help="Store the valid rows, leave out those with errors.")
@with_appcontext
def import_command(file: Path, fmt: str | None, dry_run: bool, skip_invalid: bool):
    """Import incidents from FILE: every row, or none if any is wrong. A row whose ref is
    stored updates that incident; one that may repeat a stored incident is flagged."""
    from .importer import import_file

    with ProgressLine() as progress:
        result = import_file(file, fmt, dry_run=dry_run, skip_invalid=skip_invalid, progress=progress)
    if result.encoding:
        click.echo(f"{file.name} is not UTF-8 text: read as {result.encoding}.", err=True)
    for problem in result.errors:
        click.echo(str(problem), err=True)
    for problem in result.warnings[:WARNINGS_SHOWN]:
        click.echo(f"warning: {problem}", err=True)
    if result.warning_count > WARNINGS_SHOWN:
        click.echo(f"… and {result.warning_count - WARNINGS_SHOWN} more warnings.", err=True)
    if result.errors and (not skip_invalid or not result.valid):
        raise click.ClickException(f"{len(result.errors)} problem(s) in {file.name}; nothing was stored.")
    if dry_run:
        click.echo(
            f"{result.valid} of {result.rows} rows are valid; nothing was stored (dry run): "
            f"{result.to_update} would update stored incidents, "
            f"{result.already} are stored already or repeat earlier rows, "
            f"{result.similar} may be duplicates."
        )
    else:
        click.echo(f"Imported {result.stored} incidents from {file.name}.")
        click.echo(
            f"{result.created} new, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.skipped} rows with errors skipped, {result.similar} flagged as possible duplicates."
        )


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="csv",
    show_default=True,
    help="csv: canonical CSV; xlsx; geojson; acled: ACLED's columns and codes; "
    "hxl: canonical CSV with a row of HXL hashtags.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    required=True,
    help="File to write, or - for standard output.",
)
@filter_options
@with_appcontext
def export_command(fmt: str, output: Path, **filters):
    """Export the incidents matching the filters (all by default), every field included."""
    from .exporter import Export

    parsed = filters_from_options(filters)
    if str(output) == "-":
        count = Export(fmt, parsed, target="stdout").write_to(sys.stdout.buffer)
    else:
        with output.open("wb") as out:
            count = Export(fmt, parsed, target=output.name).write_to(out)
    click.echo(f"Exported {count} incidents.", err=True)


@click.command("demo")
@click.option("--incidents", "n", default=500, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same data.")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write a canonical CSV file (- for standard output) instead of loading the database.",
)
@with_appcontext
def demo_command(n: int, seed: int, csv_path: Path | None):
    """Generate fictional demo incidents: load them, or write them as CSV."""
    from .demo import load_demo, write_demo_csv

    if csv_path is None:
        with ProgressLine() as progress:
            result = load_demo(n, seed, progress=progress)
        click.echo(f"Loaded {result.stored} demo incidents.")
    elif str(csv_path) == "-":
        write_demo_csv(sys.stdout, n, seed)
    else:
        with csv_path.open("w", encoding="utf-8", newline="") as out:
            write_demo_csv(out, n, seed)
        click.echo(f"Wrote {n} demo incidents to {csv_path}.")


@click.command("demo-setup")
@click.option("--incidents", "n", default=500, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def demo_setup_command(n: int):
    """Demo accounts, boundaries and incidents for `make run`; keeps what is already there."""
    from ..config import PROJECT_ROOT
    from .demo import ensure_demo_accounts, ensure_demo_boundaries, ensure_demo_incidents

    try:
        accounts = ensure_demo_accounts()
        layers = ensure_demo_boundaries(PROJECT_ROOT.parent / "shared" / "geo" / "peru")
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    for level, count in layers.items():
        click.echo(f"Imported {count} {level} boundaries.")
    with ProgressLine() as progress:
        loaded = ensure_demo_incidents(n, progress=progress)
    click.echo(f"Loaded {loaded} demo incidents." if loaded else "Incidents already stored: none added.")
    click.echo(f"\nOpen {APP_URL} and sign in with one of these demo accounts:")
    for account in accounts:
        secret = f"password: {account.password}" if account.password else "exists already (password unchanged)"
        click.echo(f"  {account.role:9} {account.email:24} {secret}")


def register(app: Flask) -> None:
    for command in (import_command, export_command, demo_command, demo_setup_command):
        app.cli.add_command(command)
