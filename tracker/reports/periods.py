"""Ready-made report periods: this year, last year, the last 12 months and the quarters of a
year, as the first and last day they fill in. Periods that would reach past today end
today, so a sentence never speaks of months that have not happened yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _


@dataclass(frozen=True)
class Preset:
    label: str
    start: date
    end: date


def today() -> date:
    """The day the presets count from (a function, so tests can fix it)."""
    return date.today()


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def year_presets(now: date) -> list[Preset]:
    """This year (to today), last year and the 12 months that end today."""
    this, last = now.year, now.year - 1
    return [
        Preset(_("This year (%(year)s)", year=str(this)), date(this, 1, 1), now),
        Preset(_("Last year (%(year)s)", year=str(last)), date(last, 1, 1), date(last, 12, 31)),
        Preset(_("Last 12 months"), _year_before(now) + timedelta(days=1), now),
    ]


def quarter_presets(year: int, now: date) -> list[Preset]:
    """The quarters of `year` that have begun by `now` ("Q1 2024" / "T1 2024", as Babel writes them)."""
    presets = []
    for first_month in (1, 4, 7, 10):
        start = date(year, first_month, 1)
        if start > now:
            break
        following = date(year + 1, 1, 1) if first_month == 10 else date(year, first_month + 3, 1)
        presets.append(Preset(format_date(start, "QQQ y"), start, min(following - timedelta(days=1), now)))
    return presets


def preset_groups(chosen: date | None, now: date) -> list[tuple[str, list[Preset]]]:
    """The periods the report page offers, by group: the years, then the quarters of the year
    the chosen period starts in (this year while none is chosen)."""
    year = chosen.year if chosen else now.year
    return [
        (_("Periods"), year_presets(now)),
        (_("Quarters of %(year)s", year=str(year)), quarter_presets(year, now)),
    ]
