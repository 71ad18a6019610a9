"""`tracker import`, `tracker export`, `tracker demo` and `tracker demo-setup`.

The commands run as the system (full access); the work is done by the importer, the
exporter and the demo module, which the web views and benchmarks share.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from werkzeug.datastructures import MultiDict

from ..errors import ServiceError

# filter parameter (DESIGN.md §4) -> may it be repeated
FILTER_PARAMS = {"from": False, "to": False, "section": True, "violation": True, "victim_group": True,
                 "perpetrator": True, "country": True, "admin1": True, "admin2": True, "status": True,
                 "confidence": True, "gender": True, "q": False}
APP_URL = "http://127.0.0.1:5000"


class ProgressLine:
    """Rows done and rows per second on one stderr line, redrawn at most twice a second."""

    def __init__(self):
        self.stage = ""
        self.started = self.shown = 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self.close()
            self.stage, self.started, self.shown = stage, now, 0.0
        if now - self.shown < 0.5 and done != total or done == 0:
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-6)
        of = f"/{total:,}" if total else ""
        click.echo(f"\r{stage}: {done:,}{of} rows, {rate:,.0f} rows/s".ljust(60), err=True, nl=False)

    def close(self) -> None:
        if self.stage:
            click.echo(err=True)
            self.stage = ""

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row, store nothing.")
@with_appcontext
def import_command(file: Path, dry_run: bool):
    """Import incidents from a canonical CSV FILE: every row, or none if any is wrong."""
    from .importer import import_csv
    with ProgressLine() as progress:
        result = import_csv(file, dry_run=dry_run, progress=progress)
    for problem in result.errors:
        click.echo(str(problem), err=True)
    if result.errors:
        raise click.ClickException(f"{len(result.errors)} problem(s) in {file.name}; nothing was stored.")
    if dry_run:
        click.echo(f"All {result.rows} rows are valid; nothing was stored (dry run).")
    else:
        click.echo(f"Imported {result.stored} incidents from {file.name}.")


def filter_options(command):
    """--from, --to, --section … : the web's filter names as options."""
    for name, repeatable in reversed(FILTER_PARAMS.items()):
        command = click.option(f"--{name.replace('_', '-')}", f"filter_{name}", multiple=repeatable,
                               metavar="YYYY-MM-DD" if name in ("from", "to") else None,
                               help="Repeatable." if repeatable else None)(command)
    return command


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              required=True, help="File to write, or - for standard output.")
@filter_options
@with_appcontext
def export_command(fmt: str, output: Path, **filters):
    """Export the incidents matching the filters (all by default) as a canonical CSV."""
    from ..filters import parse_filters
    from .exporter import export_csv
    args = MultiDict()
    for key, value in filters.items():
        for item in value if isinstance(value, tuple) else [value]:
            if item:
                args.add(key.removeprefix("filter_"), item)
    parsed, errors = parse_filters(args)
    if errors:
        raise click.UsageError(" ".join(errors))
    if str(output) == "-":
        count = export_csv(sys.stdout, parsed, target="stdout")
    else:
        with output.open("w", encoding="utf-8", newline="") as out:
            count = export_csv(out, parsed, target=output.name)
    click.echo(f"Exported {count} incidents.", err=True)


@click.command("demo")
@click.option("--incidents", "n", default=500, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same data.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Write a canonical CSV file (- for standard output) instead of loading the database.")
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
    from .. import PROJECT_ROOT
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
