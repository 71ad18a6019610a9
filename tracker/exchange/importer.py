"""Importing incidents from a file: the canonical CSV, the same columns as XLSX, or ACLED's
export (sources.py reads each). Every row is checked before anything is stored; then the
rows are stored in one transaction, new incidents with set-based INSERTs (a few statements
per 2,000 rows, not one ORM object per row), or nothing is stored at all.

The file is read twice, streaming (check, then store), so memory stays flat for files of
millions of rows; between passes only references, line numbers of bad or matching rows and
event names are kept. A row whose reference is stored updates that incident (updates.py);
a row that may repeat a stored incident is flagged, and linked for a reviewer when imported
(matching.py); a row that only names its place goes to its region's centroid (placing.py).
A victim row's person key links it to the register's record (tracker/persons/), which a key
no record has yet adds, set-based too; the file's one audit entry counts them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import audit
from ..errors import PermissionDenied
from ..extensions import db
from ..facts import facts_of
from ..incidents.data import SCALAR_FIELDS, IncidentData, VictimData, point_problem
from ..incidents.refs import allocate_refs, reserve_refs
from ..models import (
    DuplicateCandidate,
    Event,
    Incident,
    IncidentViolation,
    Perpetrator,
    Person,
    PersonChange,
    ProtectionRequest,
    Source,
    Victim,
)
from ..persons.service import described_by, new_kind, survivor_keys
from ..search_index import index_incidents
from ..security import can_review
from ..sqlite_settings import refresh_statistics
from ..timeutil import utcnow
from .formats import acled
from .formats.csv_format import CsvIncident, Problem, check_header, parse_row
from .matching import Match, find_matches
from .placing import Placer
from .sources import open_table
from .table import Table, UnreadableFile
from .updates import coverage_of, update_stored

BATCH_SIZE = 2000
SAMPLE_ROWS = 20
WARNINGS_KEPT = 1000  # a file of a million rows without sources would otherwise fill the memory
# without it the ORM leaves out None values, splitting a batch into one INSERT per key set
BULK = {"render_nulls": True}

# stage ("checking" | "storing"), rows done, rows in all (None while unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass
class SampleRow:
    """A row of the preview, as it will be stored."""

    line: int
    action: str  # new | update | similar | already | repeat | invalid
    ref: str
    status: str
    data: IncidentData
    match: str = ""  # the stored incident it may repeat, or for a repeat the line it repeats


@dataclass
class ImportResult:
    rows: int = 0  # data rows in the file
    invalid: int = 0  # rows with at least one error
    to_update: int = 0  # valid rows whose reference is stored
    similar: int = 0  # valid new rows that may repeat a stored incident
    already: int = 0  # rows without a reference that are the same as a stored incident or an earlier row
    readable: bool = True  # False: a wrong header or unreadable file, so no row can be imported
    created: int = 0
    updated: int = 0
    persons: int = 0  # records added to the register of persons at risk, for keys it did not hold
    unchanged: int = 0  # stored rows the file left as they were, and rows already imported
    skipped: int = 0  # rows with errors left out at the user's choice
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # the first WARNINGS_KEPT
    warning_count: int = 0
    format: str = ""
    encoding: str = ""  # "cp1252" or "latin-1" when the file was not UTF-8
    sample: list[SampleRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def stored(self) -> int:
        """Incidents created or changed: 0 after a dry run or when the file was refused."""
        return self.created + self.updated

    @property
    def valid(self) -> int:
        """Rows that can be imported."""
        return self.rows - self.invalid if self.readable else 0


def import_csv(
    source: str | os.PathLike | IO, user=None, dry_run: bool = False, progress: Progress | None = None
) -> ImportResult:
    """Import a canonical CSV file (the demo loader and the benchmarks use this)."""
    return import_file(source, "csv", user, dry_run=dry_run, progress=progress)


def check_file(
    source: str | os.PathLike | IO,
    fmt: str | None = None,
    user=None,
    progress: Progress | None = None,
    sample: int = SAMPLE_ROWS,
) -> ImportResult:
    """What importing the file would do, with its first `sample` rows as they would be stored."""
    return import_file(source, fmt, user, dry_run=True, progress=progress, sample=sample)


def import_file(
    source: str | os.PathLike | IO,
    fmt: str | None = None,
    user=None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    sample: int = 0,
) -> ImportResult:
    """Check a file in `fmt` ("csv", "xlsx", "acled"; None: told by the file) and, unless
    `dry_run`, store it: when every row is valid, or, with `skip_invalid`, its valid rows.
    `user` None means the system (the CLI); a user must be a reviewer or an administrator."""
    if user is not None and not can_review(user):
        raise PermissionDenied(_("Only reviewers and administrators may import incidents."))
    report = progress or (lambda stage, done, total: None)
    today = date.today()
    with open_table(source, fmt) as table:
        result = ImportResult(format=table.format, encoding=table.encoding if table.encoding != "utf-8" else "")
        plan = _check(table, today, report, result, sample)
        if dry_run or not result.valid or (result.errors and not skip_invalid):
            return result
        try:
            _store(table, today, plan, user, report, result)
            audit.record(
                "import",
                table.name,
                user=user,
                rows=result.rows,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                skipped=result.skipped,
                flagged=result.similar,
                **({"persons": result.persons} if result.persons else {}),  # records added to the register
            )
            # in the storing transaction (tracker/exchange/jobs.py writes it through the session):
            # a job at this stage has its rows stored
            report("finishing", 0, None)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    refresh_statistics(db.session)
    return result


def _batched(items: Iterable, size: int) -> Iterator[list]:
    """itertools.batched, which Python 3.11 lacks."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# --- reading -------------------------------------------------------------------------------


@dataclass
class _Parsed:
    line: int
    row: CsvIncident | None  # None: the row, or the whole file from here on, cannot be read
    errors: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    fatal: bool = False  # the header is wrong or the file unreadable: no row can be stored
    key: int = 0  # the hash of the row's cells: rows with the same key are identical (all but surely)


# C0 controls but tab, newline and carriage return; DEL; C1 controls, which only bytes of
# another encoding decoded as Latin-1 or a binary file give: no text holds them, and
# PostgreSQL refuses NUL
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _parse(table: Table, today: date) -> Iterator[_Parsed]:
    """Each data row of the file, typed and checked."""
    # the same warning for every row without a source: translated once per file, not per row
    no_source = _("no source: a reviewer will need one to verify the incident")
    records = table.records()
    try:
        line, header = next(records, (1, []))
        header = [name.strip() for name in header]
        problems = _unreadable_cells(header, [f"#{n}" for n in range(1, len(header) + 1)], line, table)
        problems = problems or (acled.check_header if table.columns == "acled" else check_header)(header)
        if problems:  # rows are not read: their cells would be misattributed
            yield _Parsed(1, None, problems, fatal=True)
            return
        rows = 0
        for line, cells in records:
            if not any(cell.strip() for cell in cells):  # blank, or only separators
                continue
            rows += 1
            if len(cells) != len(header):
                message = _(
                    "the row has %(cells)s cells, the header has %(header)s", cells=len(cells), header=len(header)
                )
                yield _Parsed(line, None, [Problem(line, "", message)])
            elif problems := _unreadable_cells(cells, header, line, table):
                yield _Parsed(line, None, problems)
            else:
                parsed = _parsed_row(dict(zip(header, cells, strict=False)), line, today, table.columns, no_source)
                parsed.key = hash(tuple(cells))
                yield parsed
        if not rows:
            yield _Parsed(1, None, [Problem(1, "", _("the file has a header but no rows"))], fatal=True)
    except UnreadableFile as exc:
        yield _Parsed(exc.line, None, [Problem(exc.line, "", str(exc))], fatal=True)


def _unreadable_cells(cells: list[str], columns: list[str], line: int, table: Table) -> list[Problem]:
    """Cells longer than the limit, or holding control characters (named by their code and
    place in the cell, never shown): such a row is not read."""
    limit = table.limits.cell_chars
    if max(map(len, cells), default=0) <= limit and not _CONTROL.search("".join(cells)):
        return []
    problems = []
    for column, cell in zip(columns, cells, strict=False):
        if len(cell) > limit:
            problems.append(Problem(line, column, _("longer than %(limit)s characters", limit=limit)))
        elif control := _CONTROL.search(cell):
            problems.append(
                Problem(
                    line,
                    column,
                    _(
                        "holds a control character (U+%(code)s) at character %(position)s, which text cannot "
                        "hold; delete it",
                        code=f"{ord(control.group()):04X}",
                        position=control.start() + 1,
                    ),
                )
            )
    return problems


def _parsed_row(cells: dict[str, str], line: int, today: date, columns: str, no_source: str) -> _Parsed:
    if columns == "acled":
        row, errors, warnings = acled.parse(cells, line, today)
    else:
        (row, errors), warnings = parse_row(cells, line, today), []
    d = row.data
    if (
        d.latitude is not None
        and d.longitude is not None
        and (problem := point_problem(d.latitude, d.longitude, d.country))
    ):
        errors.append(
            Problem(
                line,
                "latitude",
                _("latitude and longitude look swapped")
                if problem == "swapped"
                else _("the point is outside Peru; check the coordinates"),
            )
        )
    if not d.sources:
        column = "source" if columns == "acled" else "source_kinds"
        warnings.append(Problem(line, column, no_source))
    return _Parsed(line, row, errors, warnings)


# --- checking ------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What the checking pass learns that the storing pass needs."""

    placer: Placer = field(default_factory=Placer)
    invalid_lines: set[int] = field(default_factory=set)
    ref_lines: dict[str, int] = field(default_factory=dict)
    stored_refs: set[str] = field(default_factory=set)
    matches: dict[int, Match] = field(default_factory=dict)
    repeats: dict[int, int] = field(default_factory=dict)  # line → the earlier line of the file it is identical to
    events: set[str] = field(default_factory=set)
    new_kinds: dict[str, str] = field(default_factory=dict)  # key no record has → the kind the file will make it


def _check(table: Table, today: date, report: Progress, result: ImportResult, sample: int) -> _Plan:
    plan = _Plan()
    first_lines: dict[int, int] = {}  # key → line of the first new row without a reference that has it
    report("checking", 0, None)
    for batch in _batched(_parse(table, today), BATCH_SIZE):
        rows: list[tuple[_Parsed, CsvIncident]] = []  # the rows that could be read
        for parsed in batch:
            if parsed.fatal:
                result.readable = False
            else:
                result.rows += 1
                if parsed.row is not None:
                    plan.placer.place_by_name(parsed.row.data)
                    _check_ref(parsed, parsed.row, plan)
                    rows.append((parsed, parsed.row))
                if parsed.errors:
                    plan.invalid_lines.add(parsed.line)
            result.errors += parsed.errors
            _warn(result, parsed.warnings)
        for parsed, problem in _check_counts(rows, plan):
            parsed.errors.append(problem)
            result.errors.append(problem)
            plan.invalid_lines.add(parsed.line)
        _check_batch([(p, row) for p, row in rows if not p.errors], plan, result, first_lines)
        if len(result.sample) < sample:
            result.sample += [_sample(p, row, plan) for p, row in rows[: sample - len(result.sample)]]
        report("checking", result.rows, None)
    result.invalid = len(plan.invalid_lines)
    result.persons = len(plan.new_kinds)  # what storing would add; storing counts what it adds
    result.errors.sort(key=lambda p: p.line)
    result.warnings.sort(key=lambda p: p.line)
    plan.placer.finish(s.data for s in result.sample)
    report("checking", result.rows, result.rows)
    return plan


def _warn(result: ImportResult, warnings: list[Problem]) -> None:
    result.warning_count += len(warnings)
    result.warnings += warnings[: max(0, WARNINGS_KEPT - len(result.warnings))]


def _check_counts(rows: list[tuple[_Parsed, CsvIncident]], plan: _Plan) -> Iterator[tuple[_Parsed, Problem]]:
    """A victim row naming a person counts 1; one naming an organisation or a community keeps
    its count. The kind is the stored record's, or for a key no record has, what the first row
    of the file naming it will make (as tracker/persons/ does: an organisation from the groups
    `organisation` and `community`)."""
    keys = {v.person for _parsed, row in rows for v in row.data.victims if v.person}
    if not keys:
        return
    stored = survivor_keys(keys)
    for parsed, row in rows:
        for number, victim in enumerate(row.data.victims, 1):
            if not victim.person:
                continue
            if victim.person in stored:
                kind = stored[victim.person][1]
            else:
                made = new_kind(victim.group)
                kind = plan.new_kinds.setdefault(victim.person, made) if not parsed.errors else made
            if kind == "person" and victim.count != 1:
                yield (
                    parsed,
                    Problem(
                        parsed.line,
                        "victim_count",
                        _(
                            "victim %(number)s names a person in victim_person_ids, and a person counts as 1: "
                            "leave the count empty or write 1 (only an organisation or a community keeps a count)",
                            number=number,
                        ),
                    ),
                )


def _check_ref(parsed: _Parsed, row: CsvIncident, plan: _Plan) -> None:
    ref = row.ref
    if not ref:
        return
    if ref in plan.ref_lines:
        parsed.errors.append(
            Problem(parsed.line, "ref", _("%(ref)s is also used on line %(line)s", ref=ref, line=plan.ref_lines[ref]))
        )
    else:
        plan.ref_lines[ref] = parsed.line


def _check_batch(
    valid: list[tuple[_Parsed, CsvIncident]], plan: _Plan, result: ImportResult, first_lines: dict[int, int]
) -> None:
    """Which valid rows update a stored incident, which may repeat one, and which repeat an
    earlier row of the file (without a reference: rows with one are told apart by it)."""
    refs = [row.ref for _parsed, row in valid if row.ref]
    stored = set(db.session.scalars(sa.select(Incident.ref).where(Incident.ref.in_(refs)))) if refs else set()
    plan.stored_refs |= stored
    result.to_update += len(stored)
    new = [(p, row) for p, row in valid if row.ref not in stored]
    matches = find_matches([(p.line, row) for p, row in new])
    for parsed, row in new:
        line, match = parsed.line, matches.get(parsed.line)
        if not row.ref and not (match and match.same):
            first = first_lines.setdefault(parsed.key, line)
            if first != line:
                plan.repeats[line] = first
                result.already += 1
                _warn(result, [Problem(line, "", _("the same as line %(line)s: it is not imported again", line=first))])
                continue
        if match is None:
            continue
        plan.matches[line] = match
        if match.same:
            result.already += 1
            _warn(
                result,
                [
                    Problem(
                        line,
                        "",
                        _(
                            "already stored as %(ref)s (the same title, date, place and "
                            "violations): it is not imported again",
                            ref=match.ref,
                        ),
                    )
                ],
            )
        else:
            result.similar += 1
            _warn(
                result,
                [
                    Problem(
                        line,
                        "",
                        _(
                            "may be a duplicate of %(ref)s (a day apart at most, nearby, a "
                            "shared violation, a similar title)",
                            ref=match.ref,
                        ),
                    )
                ],
            )
    plan.events.update(row.data.event for _parsed, row in valid if row.data.event)


def _sample(parsed: _Parsed, row: CsvIncident, plan: _Plan) -> SampleRow:
    match = plan.matches.get(parsed.line)
    if parsed.line in plan.repeats:
        return SampleRow(parsed.line, "repeat", row.ref, row.status, row.data, str(plan.repeats[parsed.line]))
    action = (
        "invalid"
        if parsed.errors
        else "update"
        if row.ref in plan.stored_refs
        else ("already" if match.same else "similar")
        if match
        else "new"
    )
    return SampleRow(parsed.line, action, row.ref, row.status, row.data, match.ref if match else "")


# --- storing -------------------------------------------------------------------------------


def _store(table: Table, today: date, plan: _Plan, user, report: Progress, result: ImportResult) -> None:
    report("storing", 0, result.rows)  # before the first write (tracker/exchange/jobs.py relies on it)
    result.persons = 0
    prefix = current_app.config["REF_PREFIX"]
    reserve_refs(prefix, plan.ref_lines)
    event_ids = _event_ids(plan.events)
    coverage = coverage_of(table.columns, (name.strip() for name in next(table.records(), (1, []))[1]))
    now = utcnow()
    stamp = {"created_by_id": getattr(user, "id", None), "created_at": now, "updated_at": now, "version": 1}
    done = 0
    for batch in _batched(_parse(table, today), BATCH_SIZE):
        keep: list[tuple[int, CsvIncident]] = []
        for parsed in batch:
            match = plan.matches.get(parsed.line)
            if parsed.line in plan.invalid_lines:
                result.skipped += 1
            elif match and match.same or parsed.line in plan.repeats:
                result.unchanged += 1
            elif parsed.row is None:  # an unreadable row has an error: its line is invalid, so never here
                raise RuntimeError(f"line {parsed.line} could not be read again")
            else:
                plan.placer.place_by_name(parsed.row.data)
                keep.append((parsed.line, parsed.row))
        plan.placer.finish(row.data for _, row in keep)
        persons = _linked_persons([row for _, row in keep], user, now, result)
        new = [(line, row) for line, row in keep if row.ref not in plan.stored_refs]
        lacking = [row for _line, row in new if not row.ref]
        for row, ref in zip(
            lacking, allocate_refs(prefix, [row.data.date.year for row in lacking], apart=True), strict=True
        ):
            row.ref = ref
        if new:
            ids = _insert([row for _, row in new], stamp, event_ids, persons)
            links = [
                {
                    "incident_id": ids[row.ref],
                    "candidate_of_id": plan.matches[line].incident_id,
                    "status": "pending",
                    "created_at": now,
                }
                for line, row in new
                if line in plan.matches
            ]
            if links:
                db.session.execute(sa.insert(DuplicateCandidate), links)
        updated, unchanged = update_stored([row for _, row in keep if row.ref in plan.stored_refs], coverage, user)
        result.created += len(new)
        result.updated += updated
        result.unchanged += unchanged
        done += len(batch)
        report("storing", done, result.rows)


def _linked_persons(rows: list[CsvIncident], user, now, result: ImportResult) -> dict[str, int]:
    """The ids of the records the rows' person keys find, by stored key. Each key becomes the
    key of the record it finds after merges; a key no record has adds one, described by the
    first row naming it (as `persons.service.persons_for_rows` describes it) with the place of
    its incident. Set-based: a few statements per batch, however many keys."""
    keys = {v.person for row in rows for v in row.data.victims if v.person}
    if not keys:
        return {}
    found = survivor_keys(keys)
    first: dict[str, tuple[VictimData, str]] = {}
    for row in rows:
        for victim in row.data.victims:
            if victim.person and victim.person not in found:
                first.setdefault(victim.person, (victim, row.data.admin1))
    if first:
        _add_persons(first, getattr(user, "id", None), now)
        result.persons += len(first)
    for row in rows:
        for victim in row.data.victims:
            if victim.person in found:
                victim.person = found[victim.person][0]
    wanted = {v.person for row in rows for v in row.data.victims if v.person}
    return dict(db.session.execute(sa.select(Person.key, Person.id).where(Person.key.in_(wanted))).all())


def _add_persons(first: dict[str, tuple[VictimData, str]], creator: int | None, now) -> None:
    """INSERT a record for each key, with the "created" line of its history."""
    records = []
    for key, (victim, admin1) in first.items():
        data = described_by(key, victim, admin1)
        records.append(
            {
                **vars(data),
                "groups": ";".join(data.groups),
                "merged_into_id": None,
                "created_by_id": creator,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    db.session.execute(sa.insert(Person), records, execution_options=BULK)
    ids = db.session.scalars(sa.select(Person.id).where(Person.key.in_(list(first))))
    db.session.execute(
        sa.insert(PersonChange),
        [{"person_id": i, "action": "created", "user_id": creator, "at": now, "details": {}} for i in ids],
        execution_options=BULK,
    )


def _insert(rows: list[CsvIncident], stamp: dict, event_ids: dict[str, int], persons: dict[str, int]) -> dict[str, int]:
    """INSERT new incidents and their children; their ids by reference."""
    incident_rows = [{**stamp, **_scalars(row), "event_id": event_ids.get(row.data.event)} for row in rows]
    # executemany, then the ids by reference: with RETURNING, psycopg re-parses a
    # 27,000-parameter statement per page, several times the CPU (bench/README.md)
    db.session.execute(sa.insert(Incident), incident_rows, execution_options=BULK)
    ids = dict(
        db.session.execute(
            sa.select(Incident.ref, Incident.id).where(Incident.ref.in_([row.ref for row in rows]))
        ).all()
    )
    _insert_children(rows, ids, persons)
    index_incidents((ids[row.ref], row.data) for row in rows)
    return ids


def _scalars(row: CsvIncident) -> dict:
    d = row.data
    values = {name: getattr(d, name) for name in SCALAR_FIELDS}
    values.update(
        ref=row.ref,
        status=row.status,
        **facts_of(d.violations, d.victims, (p.type for p in d.perpetrators), len(d.sources), len(d.requests)),
    )
    return values


def _insert_children(batch: list[CsvIncident], ids: dict[str, int], persons: dict[str, int]) -> None:
    children: dict[type, list[dict]] = {
        IncidentViolation: [],
        Victim: [],
        Perpetrator: [],
        Source: [],
        ProtectionRequest: [],
    }
    for row in batch:
        incident_id = ids[row.ref]
        d = row.data
        children[IncidentViolation] += [{"incident_id": incident_id, "code": c} for c in d.violations]
        for model, items in ((Perpetrator, d.perpetrators), (Source, d.sources)):
            children[model] += [
                {"incident_id": incident_id, "position": i, **vars(item)} for i, item in enumerate(items)
            ]
        children[Victim] += [_victim_row(incident_id, i, v, persons) for i, v in enumerate(d.victims)]
        children[ProtectionRequest] += [
            {"incident_id": incident_id, "position": i, **vars(r), "measures": ";".join(dict.fromkeys(r.measures))}
            for i, r in enumerate(d.requests)
        ]
    for table_model, values in children.items():
        if values:
            db.session.execute(sa.insert(table_model), values, execution_options=BULK)


def _victim_row(incident_id: int, position: int, victim: VictimData, persons: dict[str, int]) -> dict:
    """A victim row stores its person's id where the data hold the key."""
    values = {"incident_id": incident_id, "position": position, **vars(victim)}
    values["person_id"] = persons.get(values.pop("person"))
    return values


def _event_ids(names: set[str]) -> dict[str, int]:
    """Events by name, creating the ones not stored yet."""
    stored = (
        dict(db.session.execute(sa.select(Event.name, Event.id).where(Event.name.in_(names))).all()) if names else {}
    )
    missing = sorted(names - stored.keys())
    if missing:
        db.session.execute(sa.insert(Event), [{"name": name, "description": ""} for name in missing])
        stored.update(db.session.execute(sa.select(Event.name, Event.id).where(Event.name.in_(missing))).all())
    return stored
