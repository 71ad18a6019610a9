"""`tracker report`: the report of a period as md, docx, xlsx or csv.

Like `tracker export`, the command runs as the system with full access (shell access to
the server already means that); the file and the audit entry say so.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ..console import ProgressLine, filter_options, filters_from_options
from ..errors import ServiceError
from .exports import FORMATS


class SystemUser:
    """The CLI's identity: sees every incident and field, as `tracker export` does."""

    is_authenticated = True
    role = "admin"
    id = None
    email = "system (cli)"


@click.command("report")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="For md: a .zip, or the .md file (its images go into images/ beside it).",
)
@click.option("--compare", is_flag=True, help="Compare with the previous period of equal length.")
@click.option("--optional-sections", is_flag=True, help="Add sections 2.3 and 6 (built from fitting codes).")
@click.option("--score", type=float, help="CIVICUS Monitor score (0-100) for the Principle 1 heading.")
@click.option("--lang", type=click.Choice(["es", "en"]), default="en", show_default=True)
@filter_options
@with_appcontext
def report_command(
    fmt: str, output: Path, compare: bool, optional_sections: bool, score: float | None, lang: str, **options
):
    """Counts of the period --from … --to for the report sections, filtered like the list."""
    from ..counts.service import build_report, report_statuses
    from .exports import export_report
    from .markdown_file import write_unpacked
    from .scores import civicus_score

    filters = filters_from_options(options)
    if not (filters.date_from and filters.date_to):
        raise click.UsageError("--from and --to are required.")
    try:
        report = build_report(
            filters.date_from,
            filters.date_to,
            filters,
            SystemUser(),
            report_statuses(filters),
            compare_previous=compare,
            optional_sections=optional_sections,
        )
        data = export_report(
            report, fmt, SystemUser(), lang, civicus_score(score) if score is not None else None, target=output.name
        )
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "md" and output.suffix != ".zip":
        write_unpacked(data, output)
    else:
        output.write_bytes(data)
    click.echo(f"Wrote the {fmt} report of {report.incidents} incidents to {output}.")


@click.command("recount")
@with_appcontext
def recount_command():
    """Recompute what reports count about every incident (tracker/facts.py) from its victims,
    violations and perpetrators: needed only after the taxonomy gains a code."""
    from ..extensions import db
    from ..facts import refresh_facts

    with ProgressLine() as progress:
        n = refresh_facts(db.session.connection(), progress=progress)
    db.session.commit()
    click.echo(f"Recounted {n} incidents.")


def register(app: Flask) -> None:
    app.cli.add_command(report_command)
    app.cli.add_command(recount_command)
