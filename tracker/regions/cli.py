"""`tracker regions …`: import boundary files and see what is imported."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..errors import ServiceError
from ..models import LEVELS

regions = AppGroup("regions", help="Administrative boundaries (departments, provinces, districts).")


@regions.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--level",
    type=click.Choice(LEVELS),
    required=True,
    help="admin1 = department, admin2 = province, admin3 = district.",
)
@click.option("--name-field", required=True, help="Attribute holding the region name.")
@click.option("--code-field", default=None, help="Attribute holding the official code (optional).")
@click.option("--country", default="PE", show_default=True, help="ISO 3166-1 alpha-2 code.")
@click.option(
    "--source",
    default=None,
    help="Where the boundaries come from, credited on downloaded maps (default: the file's name).",
)
def import_command(file: Path, level: str, name_field: str, code_field: str | None, country: str, source: str | None):
    """Replace the regions of one level with the polygons of FILE (GeoJSON, Shapefile, GeoPackage).
    Names are stored as people write them (JUNIN → Junín), and incidents' names follow."""
    from .service import import_boundaries

    try:
        count = import_boundaries(file, level, name_field, code_field=code_field, country=country, source=source)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Imported {count} {level} regions from {file.name}.")


@regions.command("list")
def list_command():
    """How many regions each level has."""
    from .service import region_counts

    counts = region_counts()
    for level, count in counts.items():
        click.echo(f"{level}: {count}")
    if not any(counts.values()):
        click.echo("No boundaries imported: locations fall back to the offline gazetteer.")


def register(app: Flask) -> None:
    app.cli.add_command(regions)
