"""What the command-line commands of several features share: the incident filters as options,
and a progress line for long work."""

from __future__ import annotations

import time

import click
from werkzeug.datastructures import MultiDict

from .filters import IncidentFilter, parse_filters

# filter parameter (the names of the web's filters, docs/api.md) -> may it be repeated
FILTER_PARAMS = {
    "from": False,
    "to": False,
    "section": True,
    "violation": True,
    "victim_group": True,
    "perpetrator": True,
    "country": True,
    "admin1": True,
    "admin2": True,
    "status": True,
    "confidence": True,
    "gender": True,
    "q": False,
}


def filter_options(command):
    """--from, --to, --section … : the web's filter names as options."""
    for name, repeatable in reversed(FILTER_PARAMS.items()):
        command = click.option(
            f"--{name.replace('_', '-')}",
            f"filter_{name}",
            multiple=repeatable,
            metavar="YYYY-MM-DD" if name in ("from", "to") else None,
            help="Repeatable." if repeatable else None,
        )(command)
    return command


def filters_from_options(options: dict) -> IncidentFilter:
    """The filters given as `filter_options`, checked as the web checks them."""
    args = MultiDict(
        [
            (key.removeprefix("filter_"), item)
            for key, value in options.items()
            if key.startswith("filter_")
            for item in (value if isinstance(value, tuple) else [value])
            if item
        ]
    )
    filters, errors = parse_filters(args)
    if errors:
        raise click.UsageError(" ".join(errors))
    return filters


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
