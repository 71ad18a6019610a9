"""The canonical incident CSV (docs/data-formats.md, "Canonical CSV"): its columns, and the conversion of one row
to and from a typed `CsvIncident`.

Import, export and the demo generator all go through `parse_row` / `format_row`, so a
file written by one is read back identically by the other: export → import → export gives
the same bytes.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from ...cells import neutralise, restore
from ...incidents.data import IncidentData, PerpetratorData, RequestData, SourceData, VictimData
from ...persons.service import key_problem, normalise_key
from ...taxonomy import (
    CONFIDENCES,
    DATE_PRECISIONS,
    DECISIONS,
    GENDERS,
    GEO_PRECISIONS,
    INVOLVEMENTS,
    PERPETRATOR_TYPES,
    PUBLIC_LOCATIONS,
    RELIABILITY,
    SOURCE_KINDS,
    STATUSES,
    VICTIM_GROUPS,
    VIOLATIONS,
    VISIBILITIES,
)

# Persons at risk and protection follow-up (docs/data-formats.md, "Persons and requests"), restricted like the
# names, last in COLUMNS: the key of the register's record each victim row names (aligned with victim_groups), and
# the incident's first request for protection. Keys link one person's incidents and requests tell who asked the
# State for protection, so no other format carries them.
REGISTER_COLUMNS = ("victim_person_ids", "protection_requested_on", "protection_decision", "protection_decided_on")
COLUMNS = (
    "ref",
    "title",
    "description",
    "date",
    "date_precision",
    "place",
    "latitude",
    "longitude",
    "geo_precision",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "violations",
    "victim_groups",
    "victim_count",
    "victim_gender",
    "perpetrators",
    "killed",
    "injured",
    "detained",
    "status",
    "confidence",
    "visibility",
    "public_location",
    "source_urls",
    "source_kinds",
    "event",
    # restricted fields (docs/data-formats.md, "Restricted columns"), aligned like the lists above; left empty in the
    # exports of readers who may not see them
    "victim_names",
    "victim_organisations",
    "perpetrator_names",
    "source_titles",
    "source_confidential",
    "source_publishers",
    # added later, after the columns above so that files written before keep their column positions: every other
    # field a user can enter; aligned lists line up as above
    "end_date",
    "consent",
    "victim_indigenous",
    "victim_lgbtiq",
    "victim_woman_defender",
    "perpetrator_involvement",
    "source_published_on",
    "source_reliability",
    *REGISTER_COLUMNS,
)
# What the other formats (GeoJSON, HXL) carry: all but the register's columns, which stay in the canonical files.
GENERAL_COLUMNS = COLUMNS[: -len(REGISTER_COLUMNS)]
# Free text, which a spreadsheet could take for a formula: written through cells.neutralise
# and read back through cells.restore. Codes, dates and numbers are never touched.
TEXT_COLUMNS = frozenset(
    {
        "ref",
        "title",
        "description",
        "place",
        "admin1",
        "admin2",
        "admin3",
        "source_urls",
        "event",
        "victim_names",
        "victim_organisations",
        "perpetrator_names",
        "source_titles",
        "source_publishers",
    }
)
REQUIRED_COLUMNS = ("title", "date")
_VICTIM_FLAGS = ("indigenous", "lgbtiq", "woman_defender")  # VictimData's flags, each in its column victim_<flag>
SEPARATOR = ";"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# column -> longest text the database column holds
_MAX_LENGTH = {"ref": 40, "title": 300, "place": 200, "admin1": 120, "admin2": 120, "admin3": 120, "event": 200}
# column -> (allowed codes, value of an empty cell)
_CODES = {
    "date_precision": (DATE_PRECISIONS, "day"),
    "status": (STATUSES, "draft"),
    "confidence": (CONFIDENCES, "unknown"),
    "visibility": (VISIBILITIES, "internal"),
    "public_location": (PUBLIC_LOCATIONS, "admin1"),
}


@dataclass
class CsvIncident:
    """One row of the file: the incident's data plus what only a file carries."""

    data: IncidentData
    ref: str = ""
    status: str = "draft"


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = (
            _("line %(line)s, column %(column)s", line=self.line, column=self.column)
            if self.column
            else _("line %(line)s", line=self.line)
        )
        return f"{where}: {self.message}"


def suggest(value: str, allowed) -> str:
    """' (did you mean …?)' with the closest valid codes, so a typo is quick to fix."""
    close = difflib.get_close_matches(value, list(allowed), n=3, cutoff=0.6)
    if not close:
        return ""
    options = close[0] if len(close) == 1 else _("%(some)s or %(last)s", some=", ".join(close[:-1]), last=close[-1])
    return " " + _("(did you mean %(options)s?)", options=options)


# --- writing -----------------------------------------------------------------------------


def format_float(value: float | None) -> str:
    """Up to 6 decimals (about 10 cm), trailing zeros stripped: stable across round trips."""
    if value is None:
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _num(value: int | None) -> str:
    return "" if value is None else str(value)


def _aligned(values: list[str], empty: str) -> str:
    """A secondary aligned column: left empty when no row has a value of its own."""
    return "" if all(v == empty for v in values) else SEPARATOR.join(values)


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def format_row(row: CsvIncident) -> list[str]:
    """The cells of one row as a file holds them, in COLUMNS order: text that a spreadsheet
    would run as a formula is neutralised."""
    return [neutralise(cell) if text else cell for cell, text in zip(row_cells(row), _IS_TEXT, strict=True)]


_IS_TEXT = [name in TEXT_COLUMNS for name in COLUMNS]


def row_cells(row: CsvIncident) -> list[str]:
    """The values of one row as text, in COLUMNS order (for formats no spreadsheet opens)."""
    d = row.data
    return [
        row.ref,
        d.title,
        d.description,
        d.date.isoformat(),
        d.date_precision,
        d.place,
        format_float(d.latitude),
        format_float(d.longitude),
        d.geo_precision,
        d.country,
        d.admin1,
        d.admin2,
        d.admin3,
        SEPARATOR.join(sorted(d.violations)),
        SEPARATOR.join(v.group for v in d.victims),
        SEPARATOR.join(str(v.count) for v in d.victims),
        SEPARATOR.join(v.gender for v in d.victims),
        SEPARATOR.join(p.type for p in d.perpetrators),
        _num(d.killed),
        _num(d.injured),
        _num(d.detained),
        row.status,
        d.confidence,
        d.visibility,
        d.public_location,
        _aligned([s.url for s in d.sources], ""),
        SEPARATOR.join(s.kind for s in d.sources),
        d.event,
        _aligned([v.name for v in d.victims], ""),
        _aligned([v.organisation for v in d.victims], ""),
        _aligned([p.name for p in d.perpetrators], ""),
        _aligned([s.title for s in d.sources], ""),
        _aligned([_yes_no(s.confidential) for s in d.sources], "no"),
        _aligned([s.publisher for s in d.sources], ""),
        _iso(d.end_date),
        _yes_no(d.consent),
        *(_aligned([_yes_no(getattr(v, flag)) for v in d.victims], "no") for flag in _VICTIM_FLAGS),
        _aligned([p.involvement for p in d.perpetrators], "direct"),
        _aligned([_iso(s.published_on) for s in d.sources], ""),
        _aligned([s.reliability for s in d.sources], "F"),
        _aligned([v.person for v in d.victims], ""),
        *_request_cells(d.requests[0] if d.requests else None),
    ]


def _request_cells(request: RequestData | None) -> tuple[str, str, str]:
    """The first request for protection (the others are kept on the incident's page only)."""
    if request is None:
        return "", "", ""
    return _iso(request.filed_on), request.decision, _iso(request.decided_on)


# --- reading -----------------------------------------------------------------------------


def check_header(header: list[str] | None) -> list[Problem]:
    """Every column known, none twice, the required ones present (problems on line 1)."""
    if not header:
        return [Problem(1, "", _("the file is empty; the first line must name the columns"))]
    problems = []
    seen = set()
    for number, name in enumerate(header, 1):
        if not name:
            problems.append(Problem(1, f"#{number}", _("the column has no name")))
        elif name not in COLUMNS:
            problems.append(Problem(1, name, _("unknown column") + suggest(name, COLUMNS)))
        elif name in seen:
            problems.append(Problem(1, name, _("column appears twice")))
        seen.add(name)
    problems += [Problem(1, name, _("required column is missing")) for name in REQUIRED_COLUMNS if name not in seen]
    return problems


class _RowReader:
    """Typed values of one row; every problem is noted with its column, none stops reading."""

    def __init__(self, cells: dict[str, str], line: int):
        self.cells = cells
        self.line = line
        self.problems: list[Problem] = []

    def error(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.line, column, message))

    def text(self, column: str) -> str:
        value = (self.cells.get(column) or "").strip()
        if column in TEXT_COLUMNS:
            value = restore(value)
        limit = _MAX_LENGTH.get(column)
        if limit and len(value) > limit:
            self.error(column, _("longer than %(limit)s characters", limit=limit))
        return value

    def items(self, column: str) -> list[str]:
        value = self.text(column)
        return [item.strip() for item in value.split(SEPARATOR)] if value else []

    def code(self, column: str) -> str:
        allowed, default = _CODES[column]
        return self.checked_code(column, self.text(column), allowed) or default

    def checked_code(self, column: str, value: str, allowed) -> str:
        if value and value not in allowed:
            self.unknown_code(column, value, allowed)
        return value

    def codes(self, column: str, allowed) -> list[str]:
        values = self.items(column)
        for value in values:
            if value not in allowed:
                self.unknown_code(column, value, allowed)
        return values

    def unknown_code(self, column: str, value: str, allowed) -> None:
        self.error(column, _("unknown code '%(code)s'", code=value) + suggest(value, allowed))

    def flag(self, column: str, value: str) -> bool:
        """yes or no; empty is no."""
        if value not in ("", "yes", "no"):
            self.error(column, _("'%(value)s' is not yes or no", value=value[:20]))
        return value == "yes"

    def flags(self, column: str, primary: str, n: int) -> list[bool]:
        return [self.flag(column, value) for value in self.aligned(column, primary, n)]

    def day(self, column: str, value: str, today: date) -> date | None:
        """A date in the form YYYY-MM-DD and not in the future; None when the cell is empty or no date."""
        if not value:
            return None
        try:
            day = date.fromisoformat(value) if _ISO_DATE.fullmatch(value) else None
        except ValueError:
            day = None
        if day is None:
            self.error(column, _("'%(value)s' is not a date in the form YYYY-MM-DD", value=value[:20]))
        elif day > today:
            self.error(column, _("%(date)s is in the future", date=value))
        return day

    def count(self, column: str, value: str, minimum: int = 0) -> int | None:
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            self.error(column, _("'%(value)s' is not a whole number", value=value))
            return None
        if number < minimum:
            self.error(
                column,
                _("%(number)s is below %(minimum)s; leave the cell empty if not known", number=number, minimum=minimum),
            )
        return number

    def coordinate(self, column: str, limit: float) -> float | None:
        value = self.text(column)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            self.error(column, _("'%(value)s' is not a number (use a decimal point)", value=value))
            return None
        if not math.isfinite(number) or not -limit <= number <= limit:
            self.error(column, _("outside -%(limit)s..%(limit)s", limit=f"{limit:g}"))  # the value is not echoed
            return None
        return number

    def aligned(self, column: str, primary: str, n: int, limit: int | None = None) -> list[str]:
        """Entries of a column aligned with `primary`, each at most `limit` long; n empty
        entries when the cell is empty."""
        values = self.items(column)
        if not values:
            return [""] * n
        if len(values) != n:
            self.error(
                column,
                _(
                    "has %(entries)s entries but %(primary)s has %(n)s; the i-th entries describe the same row",
                    entries=len(values),
                    primary=primary,
                    n=n,
                ),
            )
        if limit and any(len(value) > limit for value in values):
            self.error(column, _("an entry is longer than %(limit)s characters", limit=limit))
        return values


def first_of_period(day: date, precision: str) -> date:
    """A date known to the month (year, week) is stored as the first day of that period."""
    if precision == "month":
        return day.replace(day=1)
    if precision == "year":
        return day.replace(month=1, day=1)
    if precision == "week":
        return day - timedelta(days=day.weekday())
    return day


def parse_row(cells: dict[str, str], line: int, today: date) -> tuple[CsvIncident, list[Problem]]:
    """One row as typed data, and what is wrong with it (empty if nothing)."""
    r = _RowReader(cells, line)
    title = r.text("title")
    if not title:
        r.error("title", _("a title is required"))
    precision = r.code("date_precision")
    day = _date(r, today)
    end = r.day("end_date", r.text("end_date"), today)
    if end and day and end < day:
        r.error(
            "end_date", _("the end date %(end)s is before the date %(date)s", end=end.isoformat(), date=day.isoformat())
        )
    latitude = r.coordinate("latitude", 90)
    longitude = r.coordinate("longitude", 180)
    if bool(r.text("latitude")) != bool(r.text("longitude")):
        r.error("latitude", _("give both latitude and longitude, or neither"))
    geo = r.checked_code("geo_precision", r.text("geo_precision"), GEO_PRECISIONS)
    country = r.text("country").upper() or "PE"
    if len(country) != 2 or not country.isalpha() or not country.isascii():
        r.error("country", _("'%(country)s' is not a two-letter ISO 3166 code", country=country))
    data = IncidentData(
        title=title,
        date=first_of_period(day, precision) if day else date.min,
        description=r.text("description"),
        date_precision=precision,
        end_date=end,
        place=r.text("place"),
        latitude=latitude,
        longitude=longitude,
        geo_precision=geo or ("exact" if latitude is not None else "region"),
        country=country,
        admin1=r.text("admin1"),
        admin2=r.text("admin2"),
        admin3=r.text("admin3"),
        violations=list(dict.fromkeys(r.codes("violations", VIOLATIONS))),
        victims=_victims(r),
        sources=_sources(r, today),
        perpetrators=_perpetrators(r),
        requests=_requests(r, today),
        killed=r.count("killed", r.text("killed")),
        injured=r.count("injured", r.text("injured")),
        detained=r.count("detained", r.text("detained")),
        confidence=r.code("confidence"),
        visibility=r.code("visibility"),
        public_location=r.code("public_location"),
        consent=r.flag("consent", r.text("consent")),
        event=r.text("event"),
    )
    return CsvIncident(data=data, ref=r.text("ref"), status=r.code("status")), r.problems


def _date(r: _RowReader, today: date) -> date | None:
    value = r.text("date")
    if not value:
        r.error("date", _("a date is required (YYYY-MM-DD)"))
        return None
    return r.day("date", value, today)


def _victims(r: _RowReader) -> list[VictimData]:
    groups = r.codes("victim_groups", VICTIM_GROUPS)
    n = len(groups)
    counts = r.aligned("victim_count", "victim_groups", n)
    genders = r.aligned("victim_gender", "victim_groups", n)
    names = r.aligned("victim_names", "victim_groups", n, limit=200)
    organisations = r.aligned("victim_organisations", "victim_groups", n, limit=200)
    indigenous, lgbtiq, woman_defender = (r.flags(f"victim_{flag}", "victim_groups", n) for flag in _VICTIM_FLAGS)
    keys = [_key(r, key) if key else "" for key in r.aligned("victim_person_ids", "victim_groups", n)]
    victims = []
    for group, count, gender, name, organisation, is_indigenous, is_lgbtiq, is_woman_defender, key in zip(
        groups, counts, genders, names, organisations, indigenous, lgbtiq, woman_defender, keys, strict=False
    ):
        r.checked_code("victim_gender", gender, GENDERS)
        victims.append(
            VictimData(
                group=group,
                count=r.count("victim_count", count, minimum=1) or 1,
                gender=gender or "unknown",
                name=name,
                organisation=organisation,
                indigenous=is_indigenous,
                lgbtiq=is_lgbtiq,
                woman_defender=is_woman_defender,
                person=key,
            )
        )
    return victims


def _key(r: _RowReader, entry: str) -> str:
    """A person's key as stored (upper case), or "" for none. Whether a keyed row's count may
    be other than 1 depends on the stored record, so the importer checks that."""
    key = normalise_key(entry)
    if key and (problem := key_problem(key)):
        r.error("victim_person_ids", problem)
    return key


def _requests(r: _RowReader, today: date) -> list[RequestData]:
    """The incident's first request for protection, or none when its three cells are empty;
    a decision with no date left empty is pending."""
    filed_text, decision, decided_text = (
        r.text("protection_requested_on"),
        r.text("protection_decision"),
        r.text("protection_decided_on"),
    )
    if not (filed_text or decision or decided_text):
        return []
    filed = r.day("protection_requested_on", filed_text, today)
    decision = r.checked_code("protection_decision", decision, DECISIONS)
    decided = r.day("protection_decided_on", decided_text, today)
    if not filed_text:
        r.error(
            "protection_requested_on",
            _("give the date the request for protection was filed, or leave its decision and decision date empty"),
        )
        return []
    if decided and filed and decided < filed:
        r.error(
            "protection_decided_on",
            _(
                "the decision date %(decided)s is before the date the request was filed, %(filed)s",
                decided=decided.isoformat(),
                filed=filed.isoformat(),
            ),
        )
    if decided and decision in ("", "pending"):
        r.error(
            "protection_decision",
            _("a request with a decision date is not pending: write granted or refused, or leave the date empty"),
        )
    if filed is None or decision not in ("", *DECISIONS):
        return []
    return [RequestData(filed_on=filed, decision=decision or "pending", decided_on=decided)]


def _perpetrators(r: _RowReader) -> list[PerpetratorData]:
    types = r.codes("perpetrators", PERPETRATOR_TYPES)
    names = r.aligned("perpetrator_names", "perpetrators", len(types), limit=200)
    involvements = r.aligned("perpetrator_involvement", "perpetrators", len(types))
    return [
        PerpetratorData(
            type=kind,
            name=name,
            involvement=r.checked_code("perpetrator_involvement", involvement, INVOLVEMENTS) or "direct",
        )
        for kind, name, involvement in zip(types, names, involvements, strict=False)
    ]


def _sources(r: _RowReader, today: date) -> list[SourceData]:
    kinds = r.codes("source_kinds", SOURCE_KINDS)
    n = len(kinds)
    urls = r.aligned("source_urls", "source_kinds", n)
    titles = r.aligned("source_titles", "source_kinds", n, limit=300)
    confidential = r.flags("source_confidential", "source_kinds", n)
    publishers = r.aligned("source_publishers", "source_kinds", n, limit=200)
    published = [
        r.day("source_published_on", day, today) for day in r.aligned("source_published_on", "source_kinds", n)
    ]
    grades = [
        r.checked_code("source_reliability", grade, RELIABILITY) or "F"
        for grade in r.aligned("source_reliability", "source_kinds", n)
    ]
    for url in urls:
        if url and not url.lower().startswith(("http://", "https://")):
            r.error("source_urls", _("'%(url)s' is not a web address (http:// or https://)", url=url[:80]))
        elif len(url) > 1000:
            r.error("source_urls", _("a web address is longer than %(limit)s characters", limit=1000))
    return [
        SourceData(
            kind=kind,
            url=url,
            title=title,
            publisher=publisher,
            published_on=published_on,
            reliability=grade,
            confidential=flag,
        )
        for kind, url, title, publisher, published_on, grade, flag in zip(
            kinds, urls, titles, publishers, published, grades, confidential, strict=False
        )
    ]
