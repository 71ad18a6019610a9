"""`tracker alerts`: the open early-warning alerts as a plain table, for a daily look or a cron
mail. Like `tracker export`, it runs as the system with full access (shell access to the server
already means that); names are printed only when asked for, with --names."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_babel import force_locale

from . import alerts as service


class SystemUser:
    """The command line's identity: staff, as `tracker report` runs."""

    is_authenticated = True
    role = "admin"
    id = None
    email = "system (cli)"


@click.command("alerts")
@click.option("--kind", type=click.Choice(list(service.KINDS)), help="Only alerts of this kind.")
@click.option("--all", "show_all", is_flag=True, help="Acknowledged alerts too (marked as such).")
@click.option("--names", is_flag=True, help="Print the names of persons and organisations (restricted).")
@click.option("--lang", type=click.Choice(["es", "en"]), default="en", show_default=True)
@with_appcontext
def alerts_command(kind: str | None, show_all: bool, names: bool, lang: str):
    """The open early-warning alerts, newest first: kind, date, person, incidents, detail."""
    today = date.today()
    found = service.compute(today, (kind,) if kind else None)
    done = service.acknowledged_keys()
    if not show_all:
        found = [a for a in found if a.key not in done]
    if not found:
        click.echo("No alerts." if show_all else "No open alerts.")
        return
    service.describe(found, SystemUser(), names=names)
    headers = ["kind", "date", "person", "incidents", "detail"] + (["acknowledged"] if show_all else [])
    with force_locale(lang):
        rows = [
            [
                alert.kind,
                alert.on.isoformat(),
                ", ".join(f"{p.key} ({p.name})" if p.name else p.key for p in alert.persons) or "-",
                ", ".join(i.ref for i in alert.incidents),
                service.summary(alert, today),
            ]
            + (["yes" if alert.key in done else "no"] if show_all else [])
            for alert in found
        ]
    _print_table(headers, rows)
    open_count = sum(1 for a in found if a.key not in done)
    click.echo(f"\n{open_count} open" + (f", {len(found) - open_count} acknowledged." if show_all else "."))


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for n, row in enumerate([headers, *rows]):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * width for width in widths))


def register(app: Flask) -> None:
    app.cli.add_command(alerts_command)
