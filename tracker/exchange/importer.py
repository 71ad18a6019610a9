"""Importing the canonical CSV: every row is checked before anything is stored, and then
all rows are stored in one transaction with set-based INSERTs (a few statements per
2,000 rows, not one ORM object per row), or nothing is stored at all.

The file is read twice, streaming (check, then store), so memory stays flat for files of
millions of rows; between passes only references, years, points to locate and the distinct
region and event names are kept.
"""
from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app

from .. import audit
from ..errors import PermissionDenied
from ..extensions import db
from ..facts import facts_of
from ..incidents.data import SCALAR_FIELDS
from ..incidents.refs import allocate_refs
from ..models import LEVELS, Event, Incident, IncidentViolation, Perpetrator, Source, Victim
from ..regions import service as regions
from ..security import can_review
from ..timeutil import utcnow
from .csv_format import CsvIncident, Problem, check_header, parse_row

BATCH_SIZE = 2000
REF_CHECK_CHUNK = 5000
# without it the ORM leaves out None values, splitting a batch into one INSERT per key set
BULK = {"render_nulls": True}

# stage ("checking" | "storing"), rows done, rows in all (None while unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass
class ImportResult:
    rows: int = 0      # data rows in the file
    stored: int = 0    # incidents stored: 0 after a dry run or when any row is wrong
    errors: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Plan:
    """What the checking pass learns that the storing pass needs."""
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    ref_lines: dict[str, int] = field(default_factory=dict)
    years_without_ref: list[int] = field(default_factory=list)
    points_to_locate: list[tuple[float, float]] = field(default_factory=list)
    typed_regions: dict[str, set[str]] = field(default_factory=lambda: {level: set() for level in LEVELS})
    events: set[str] = field(default_factory=set)


def import_csv(source: str | os.PathLike | IO, user=None, dry_run: bool = False,
               progress: Progress | None = None) -> ImportResult:
    """Check a canonical CSV file and, unless `dry_run` or any row is wrong, store it.
    `user` None means the system (the CLI); a user must be a reviewer or an admin."""
    if user is not None and not can_review(user):
        raise PermissionDenied("Only reviewers and administrators may import incidents.")
    report = progress or (lambda stage, done, total: None)
    today = date.today()
    with _reopenable(source) as open_lines:
        plan = _check(_parse(open_lines(), today), report)
        result = ImportResult(rows=plan.rows, errors=plan.problems)
        if result.errors or dry_run:
            return result
        try:
            _store((row for _, row, _ in _parse(open_lines(), today)), plan, user, report)
            audit.record("import", _display_name(source), user=user, rows=plan.rows)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    result.stored = plan.rows
    return result


def _batched(items: Iterable, size: int) -> Iterator[list]:
    """itertools.batched, which Python 3.11 lacks."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# --- reading -------------------------------------------------------------------------------

@contextmanager
def _reopenable(source) -> Iterator[Callable[[], Iterator[str]]]:
    """A function that reads the file's lines from the start, each time it is called."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            yield lambda: _decoded(handle)
    else:
        yield lambda: _decoded(source)


def _decoded(handle) -> Iterator[str]:
    """Lines as text, from the start. UTF-8 with or without a byte-order mark; a line
    that is not UTF-8 stops the reading with its exact line number."""
    handle.seek(0)
    for number, line in enumerate(handle, 1):
        if isinstance(line, str):
            yield line.lstrip("\ufeff") if number == 1 else line
            continue
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8(number) from None


class _NotUtf8(Exception):
    def __init__(self, line: int):
        self.line = line


def _parse(lines: Iterator[str], today: date) -> Iterator[tuple[int, CsvIncident | None, list[Problem]]]:
    """(line, row, problems) for each data row; (1, None, problems) for a wrong header,
    after which rows are not read (their cells would be misattributed)."""
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        header = [name.strip() for name in header] if header else header
        if problems := check_header(header):
            yield 1, None, problems
            return
        previous = reader.line_num
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in cells):  # blank, or only separators
                continue
            if len(cells) != len(header):
                yield line, None, [Problem(line, "", f"the row has {len(cells)} cells, "
                                                    f"the header has {len(header)}")]
                continue
            row, problems = parse_row(dict(zip(header, cells)), line, today)
            yield line, row, problems
    except _NotUtf8 as exc:
        yield exc.line, None, [Problem(exc.line, "", "the file is not UTF-8 text from here on; "
                                                     "save it as 'CSV UTF-8' and try again")]
    except csv.Error as exc:
        line = reader.line_num
        yield line, None, [Problem(line, "", f"the CSV is malformed ({exc})")]


def _check(parsed: Iterable[tuple[int, CsvIncident | None, list[Problem]]], report: Progress) -> _Plan:
    plan = _Plan()
    report("checking", 0, None)
    for line, row, problems in parsed:
        plan.problems += problems
        if row is None:
            continue
        plan.rows += 1
        if plan.rows % 1000 == 0:
            report("checking", plan.rows, None)
        if row.ref:
            if row.ref in plan.ref_lines:
                plan.problems.append(Problem(line, "ref", f"{row.ref} is also used on line "
                                                          f"{plan.ref_lines[row.ref]}"))
            else:
                plan.ref_lines[row.ref] = line
        else:
            plan.years_without_ref.append(row.data.date.year)
        if _needs_location(row):
            plan.points_to_locate.append((row.data.latitude, row.data.longitude))
        for level in LEVELS:
            plan.typed_regions[level].add(getattr(row.data, level))
        if row.data.event:
            plan.events.add(row.data.event)
    report("checking", plan.rows, plan.rows)
    plan.problems += _already_stored(plan.ref_lines)
    plan.problems.sort(key=lambda p: p.line)
    return plan


def _needs_location(row: CsvIncident) -> bool:
    d = row.data
    return d.latitude is not None and not (d.admin1 or d.admin2 or d.admin3)


def _already_stored(ref_lines: dict[str, int]) -> list[Problem]:
    problems = []
    for chunk in _batched(ref_lines, REF_CHECK_CHUNK):
        for ref in db.session.scalars(sa.select(Incident.ref).where(Incident.ref.in_(chunk))):
            problems.append(Problem(ref_lines[ref], "ref", f"{ref} is already stored "
                                                           "(updating incidents by import is not supported yet)"))
    return problems


def _display_name(source) -> str:
    name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "") or "upload"
    return Path(str(name)).name[:120]


# --- storing -------------------------------------------------------------------------------

def _store(rows: Iterable[CsvIncident], plan: _Plan, user, report: Progress) -> None:
    refs = iter(_new_refs(current_app.config["REF_PREFIX"], plan.years_without_ref, plan.ref_lines))
    located = iter(regions.locate_many(plan.points_to_locate) if plan.points_to_locate else ())
    spelling = _stored_spellings(plan.typed_regions)
    event_ids = _event_ids(plan.events)
    now = utcnow()
    stamp = {"created_by_id": getattr(user, "id", None), "created_at": now,
             "updated_at": now, "version": 1}
    done = 0
    report("storing", 0, plan.rows)
    for batch in _batched(rows, BATCH_SIZE):
        for row in batch:
            row.ref = row.ref or next(refs)
            d = row.data
            if _needs_location(row):
                d.admin1, d.admin2, d.admin3 = next(located)
            else:
                d.admin1, d.admin2, d.admin3 = (spelling[level][getattr(d, level)] for level in LEVELS)
        incident_rows = [{**stamp, **_scalars(row), "event_id": event_ids.get(row.data.event)}
                         for row in batch]
        # executemany, then the ids by reference: with RETURNING, psycopg re-parses a
        # 27,000-parameter statement per page (measured 4.0 s instead of 0.9 s of CPU per
        # 10,000 incidents on PostgreSQL)
        db.session.execute(sa.insert(Incident), incident_rows, execution_options=BULK)
        ids = dict(db.session.execute(sa.select(Incident.ref, Incident.id).where(
            Incident.ref.in_([row.ref for row in batch]))).all())
        _insert_children(batch, ids)
        done += len(batch)
        report("storing", done, plan.rows)


def _stored_spellings(typed: dict[str, set[str]]) -> dict[str, dict[str, str]]:
    """Typed region names in the spelling of the imported boundaries ("SAN MARTIN",
    "san martín" → one name), as the incident form does; unknown names stay as typed.
    One look-up per distinct name, not per row."""
    return {level: {name: (regions.canonical_name(level, name) if name else None) or name for name in names}
            for level, names in typed.items()}


def _scalars(row: CsvIncident) -> dict:
    d = row.data
    values = {name: getattr(d, name) for name in SCALAR_FIELDS}
    values.update(ref=row.ref, status=row.status, **facts_of(d.violations, d.victims, (p.type for p in d.perpetrators),
                                           len(d.sources)))
    return values


def _insert_children(batch: list[CsvIncident], ids: dict[str, int]) -> None:
    children: dict[type, list[dict]] = {IncidentViolation: [], Victim: [], Perpetrator: [], Source: []}
    for row in batch:
        incident_id = ids[row.ref]
        d = row.data
        children[IncidentViolation] += [{"incident_id": incident_id, "code": c} for c in d.violations]
        for model, items in ((Victim, d.victims), (Perpetrator, d.perpetrators), (Source, d.sources)):
            children[model] += [{"incident_id": incident_id, "position": i, **vars(item)}
                                for i, item in enumerate(items)]
    for model, values in children.items():
        if values:
            db.session.execute(sa.insert(model), values, execution_options=BULK)


def _event_ids(names: set[str]) -> dict[str, int]:
    """Events by name, creating the ones not stored yet."""
    stored = dict(db.session.execute(sa.select(Event.name, Event.id).where(Event.name.in_(names))).all()) \
        if names else {}
    missing = sorted(names - stored.keys())
    if missing:
        db.session.execute(sa.insert(Event), [{"name": name, "description": ""} for name in missing])
        stored.update(db.session.execute(
            sa.select(Event.name, Event.id).where(Event.name.in_(missing))).all())
    return stored


def _new_refs(prefix: str, years: list[int], file_refs: Iterable[str]) -> list[str]:
    """References for rows without one. `allocate_refs` knows only stored references, so
    each year continues after the highest sequence this file itself uses."""
    allocated = allocate_refs(prefix, years)
    used: dict[int, int] = {}
    for ref in file_refs:
        head, _, tail = ref.rpartition("-")
        year = head.removeprefix(f"{prefix}-")
        if year.isdigit() and tail.isdigit() and head == f"{prefix}-{year}":
            used[int(year)] = max(used.get(int(year), 0), int(tail))
    shift: dict[int, int] = {}
    refs = []
    for year, ref in zip(years, allocated):
        sequence = int(ref.rpartition("-")[2])
        if year not in shift:  # the first reference of a year is the stored maximum + 1
            shift[year] = max(0, used.get(year, 0) - sequence + 1)
        refs.append(f"{prefix}-{year}-{sequence + shift[year]:05d}")
    return refs
