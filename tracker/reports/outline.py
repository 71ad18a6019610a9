"""The report as a document outline (headings, paragraphs, tables), in one language.

Markdown and DOCX render the same outline, so both exports have the structure of
the EU SEE country report they feed: "Principle 1: …", "1.1 Freedom of association", …, "Protection of human rights
defenders", then a methodology note.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from ..counts.model import Report, Row, SectionReport, change
from ..i18n import term_label
from ..taxonomy import GENDERS, PERPETRATOR_TYPES, STATUSES, VICTIM_GROUPS, VIOLATIONS
from ..templating import incident_date
from .charts import CHARTS
from .scores import Score
from .sentences import build_sentences

LABELS = {"violation": VIOLATIONS, "victim_group": VICTIM_GROUPS, "perpetrator": PERPETRATOR_TYPES, "gender": GENDERS}


@dataclass
class Block:
    kind: str  # heading | paragraph | table | chart
    text: str = ""
    level: int = 0
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    chart: tuple[str, str] = ("", "")  # (section key, a kind of charts.CHARTS)


def dimension_titles() -> dict[str, str]:
    return {
        "violation": _("Violation"),
        "victim_group": _("Victim group"),
        "admin1": _("Department"),
        "admin2": _("Province"),
        "perpetrator": _("Perpetrator"),
        "month": _("Month"),
        "gender": _("Victim gender"),
    }


def total_titles() -> dict[str, str]:
    return {
        "incidents": _("Incidents"),
        "killed": _("Killed"),
        "injured": _("Injured"),
        "detained": _("Detained"),
        "victims": _("Victims"),
    }


def key_label(dimension: str, key: str) -> str:
    if not key:
        return _("Not recorded")
    return term_label(LABELS[dimension], key) if dimension in LABELS else key


def build_outline(report: Report, locale: str, score: Score | None = None, charts: Collection[str] = ()) -> list[Block]:
    """`charts`: the kinds of chart (charts.CHARTS) to place under the breakdowns they draw."""
    with force_locale(locale):
        blocks = [Block("heading", _("Principle 1: Respect and protection of fundamental freedoms"), 1)]
        if score:
            blocks.append(Block("paragraph", score.heading(locale)))
        sentences = build_sentences(report)
        for optional in (False, True):
            sections = [s for s in report.sections if s.spec.optional == optional]
            if optional and sections:
                blocks.append(Block("heading", _("Other principles (optional sections)"), 1))
            for section in sections:
                texts = [s.text(locale) for s in sentences if s.section == section.key]
                blocks += _section(report, section, locale, texts, charts)
        blocks += methodology(report, locale)
    return blocks


def _count_row(label: str, now: int, before: int | None, compare: bool) -> list[str]:
    row = [label, str(now)]
    if compare:
        delta = change(now, before)
        if delta is None:  # a compared figure has a previous value (0 when it had none)
            raise ValueError(f"no previous value to compare {label!r} with")
        row += [str(before), f"{delta[0]:+d}" + (f" ({delta[1]:+.1f} %)" if delta[1] is not None else "")]
    return row


def _headers(first: str, compare: bool) -> list[str]:
    return [first, _("Count")] + ([_("Previous period"), _("Change")] if compare else [])


def _section(
    report: Report, section: SectionReport, locale: str, sentences: list[str], charts: Collection[str]
) -> list[Block]:
    compare = report.previous is not None
    blocks = [Block("heading", section.spec.label(locale), 2)]
    blocks += [Block("paragraph", s) for s in sentences]
    previous = section.previous_totals or {}
    blocks.append(
        Block(
            "table",
            headers=_headers(_("Figure"), compare),
            rows=[
                _count_row(title, section.totals[k], previous.get(k), compare) for k, title in total_titles().items()
            ],
        )
    )
    if section.spec.defenders_only:
        blocks += _protection(section)
    for dimension, title in dimension_titles().items():
        rows = section.breakdowns[dimension]
        if not rows:
            continue
        blocks.append(Block("heading", title, 3))
        blocks += [Block("chart", chart=(section.key, kind)) for kind in charts if CHARTS[kind] == dimension]
        compared = compare and dimension != "month"  # months of two periods do not line up
        blocks.append(
            Block(
                "table",
                headers=_headers(title, compared),
                rows=[_count_row(key_label(dimension, r.key), r.count, r.previous, compared) for r in rows],
            )
        )
    return blocks


def _persons(row: Row | None) -> list[str]:
    if row is None:  # counted for every defenders-only section, the only ones shown this table
        raise ValueError("a defenders-only section without its women and indigenous defenders' figures")
    return [str(row.count), str(row.persons)]


def _protection(section: SectionReport) -> list[Block]:
    blocks = [
        Block(
            "table",
            headers=[_("Figure"), _("Incidents"), _("Persons")],
            rows=[
                [_("Women defenders"), *_persons(section.women_defenders)],
                [_("Indigenous defenders"), *_persons(section.indigenous_defenders)],
            ],
        )
    ]
    blocks.append(Block("heading", _("Killings"), 3))
    if not section.killings:
        return blocks + [Block("paragraph", _("No killings were recorded."))]
    rows = [
        [
            k.ref,
            incident_date(k.date, k.date_precision),
            ", ".join(p for p in (k.place, k.admin2, k.admin1) if p),
            ", ".join(term_label(VICTIM_GROUPS, g) for g in k.groups),
            "" if k.killed is None else str(k.killed),
            _("restricted") if k.names is None else ", ".join(k.names),
        ]
        for k in section.killings
    ]
    return blocks + [
        Block(
            "table",
            headers=[_("Reference"), _("Date"), _("Place"), _("Victim groups"), _("Killed"), _("Names")],
            rows=rows,
        )
    ]


def methodology(report: Report, locale: str) -> list[Block]:
    f = report.filters
    statuses = ", ".join(term_label(STATUSES, s) for s in report.statuses)
    others = [f"{name}={value}" for name, value in f.to_args() if name not in ("from", "to", "status")]
    text = [
        _(
            "Period: %(start)s to %(end)s.",
            start=format_date(report.period_from, "long"),
            end=format_date(report.period_to, "long"),
        ),
        _("Filters: %(filters)s.", filters=", ".join(others) or _("none")),
        _(
            "Only incidents with status %(statuses)s are counted. An incident is counted once in each "
            "section it touches; breakdowns count incidents, so an incident with two codes of a section "
            "appears under both. Killed, injured, detained and victims add up the known figures. In the "
            "protection section only victims of defender groups are counted.",
            statuses=statuses,
        ),
        _("Incidents: %(incidents)d. Sources: %(sources)d.", incidents=report.incidents, sources=report.sources),
        _("Generated on %(when)s.", when=format_date(report.generated_on, "long")),
    ]
    if report.previous:
        text.insert(
            1,
            _(
                "Compared with %(start)s to %(end)s.",
                start=format_date(report.previous.period_from, "long"),
                end=format_date(report.previous.period_to, "long"),
            ),
        )
    return [Block("heading", _("Methodology"), 2)] + [Block("paragraph", t) for t in text]
