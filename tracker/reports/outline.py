"""The report as a document outline (headings, paragraphs, tables, charts), in one language,
with its front matter (what a title page says).

Markdown and DOCX render the same outline, so both exports have the structure of the EU SEE
country report they feed: "Principle 1: …", "1.1 Freedom of association", …, "Protection of
human rights defenders", then a methodology note in words (no parameter names or codes).
Every figure is written as the language writes numbers (figures.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from flask_babel import force_locale, format_date, get_locale, ngettext, pgettext
from flask_babel import gettext as _

from ..counts.model import ProtectionFigures, Report, Row, SectionReport, change
from ..filter_words import filters_sentence
from ..i18n import term_label
from ..taxonomy import GENDERS, PERPETRATOR_TYPES, VICTIM_GROUPS, VIOLATIONS
from ..templating import incident_date
from .charts import CHARTS, month_label
from .figures import number, percent, signed_change
from .scope import period_phrase, statuses_text
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


def file_stem(report: Report) -> str:
    """ "report-2024-01-01-2024-12-31": a report file's name without its extension."""
    return f"report-{report.period_from.isoformat()}-{report.period_to.isoformat()}"


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
    if dimension == "month":
        return month_label(key, "yMMMM")
    return term_label(LABELS[dimension], key) if dimension in LABELS else key


@dataclass
class FrontMatter:
    """What a document's title page says: the title, the period, and the lines that make the
    figures citable (filters in words, the statuses counted, when it was made)."""

    title: str
    subtitle: str
    lines: list[str]


def front_matter(report: Report, locale: str) -> FrontMatter:
    with force_locale(locale):
        return FrontMatter(
            _("Civic space incidents report"),
            period_phrase(report.period_from, report.period_to),
            [*_scope_lines(report), _("Generated on %(when)s.", when=format_date(report.generated_on, "long"))],
        )


def _scope_lines(report: Report) -> list[str]:
    """The period, the filters and the statuses counted, in words."""
    lines = [
        _(
            "Period: %(start)s to %(end)s.",
            start=format_date(report.period_from, "long"),
            end=format_date(report.period_to, "long"),
        ),
        filters_sentence(report.filters),
        _("Only incidents with status %(statuses)s are counted.", statuses=statuses_text(report.statuses)),
    ]
    if report.previous:
        lines.insert(
            1,
            _(
                "Compared with %(start)s to %(end)s.",
                start=format_date(report.previous.period_from, "long"),
                end=format_date(report.previous.period_to, "long"),
            ),
        )
    return lines


def build_outline(report: Report, locale: str, score: Score | None = None, charts: Collection[str] = ()) -> list[Block]:
    """`charts`: the kinds of chart (charts.CHARTS) to place under the breakdowns they draw."""
    with force_locale(locale):
        blocks = [Block("heading", _("Principle 1: Respect and protection of fundamental freedoms"), 1)]
        if score:
            blocks.append(Block("paragraph", score.heading()))
        sentences = build_sentences(report, locale)
        for optional in (False, True):
            sections = [s for s in report.sections if s.spec.optional == optional]
            if optional and sections:
                blocks.append(Block("heading", _("Other principles (optional sections)"), 1))
            for section in sections:
                texts = [s.text for s in sentences if s.section == section.key]
                blocks += _section(report, section, texts, charts)
        blocks += methodology(report, score)
    return blocks


def _count_row(label: str, now: int, before: int | None, compare: bool) -> list[str]:
    row = [label, number(now)]
    if compare:
        delta = change(now, before)
        if delta is None or before is None:  # a compared figure has a previous value (0 when it had none)
            raise ValueError(f"no previous value to compare {label!r} with")
        row += [number(before), signed_change(delta)]
    return row


def change_title() -> str:
    """The heading of a change against the previous period ("Cambio", not the button's "Cambiar")."""
    return pgettext("difference", "Change")


def _headers(first: str, compare: bool) -> list[str]:
    return [first, _("Count")] + ([_("Previous period"), change_title()] if compare else [])


def _section(report: Report, section: SectionReport, sentences: list[str], charts: Collection[str]) -> list[Block]:
    compare = report.previous is not None
    blocks = [Block("heading", section.spec.label(str(get_locale())), 2)]
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
    if section.persons:
        blocks += _persons_at_risk(section.persons, compare)
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
    return [number(row.count), number(row.persons or 0)]


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
            "" if k.killed is None else number(k.killed),
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


def persons_titles() -> dict[str, str]:
    """The persons and requests figures of the protection section, by key (figures.REQUEST_KEYS)."""
    return {
        "at_risk": _("Persons at risk"),
        "repeat": _("Persons attacked in two or more incidents"),
        "requested": _("Incidents with a request for protection"),
        "granted": _("Incidents with a request granted"),
        "refused": _("Incidents with a request refused"),
        "pending": _("Incidents with a request pending"),
        "median_days": _("Median days from a request to its decision"),
    }


def median_text(days: float | None) -> str:
    return _("none decided") if days is None else number(days)


def group_label(figures: ProtectionFigures, key: str) -> str:
    """A region group as a table names it: "Amazonian regions", "Regiones amazónicas"."""
    words = figures.groups[key].words(str(get_locale()))
    return words[:1].upper() + words[1:]


def _persons_at_risk(figures: ProtectionFigures, compare: bool) -> list[Block]:
    """Persons at risk (in all, by department, by region group) and the requests for protection."""
    titles = persons_titles()
    rows = [
        _count_row(titles[row.key], row.count, row.previous, compare)
        for row in (figures.at_risk, figures.repeat, *figures.requests)
    ]
    median = [titles["median_days"], median_text(figures.median_days)]
    rows.append(median + ([median_text(figures.previous_median_days), ""] if compare else []))
    blocks = [
        Block("heading", _("Persons at risk"), 3),
        Block("table", headers=_headers(_("Figure"), compare), rows=rows),
    ]
    if figures.by_admin1:
        title = _("Persons at risk by department")
        blocks += [
            Block("heading", title, 3),
            Block(
                "table",
                headers=_headers(_("Department"), compare),
                rows=[_count_row(key_label("admin1", r.key), r.count, r.previous, compare) for r in figures.by_admin1],
            ),
        ]
    if figures.by_region_group:
        blocks += [
            Block("heading", _("Persons at risk by region group"), 3),
            Block(
                "table",
                headers=[*_headers(_("Region group"), compare), _("Share of persons at risk")],
                rows=[
                    [
                        *_count_row(group_label(figures, r.key), r.count, r.previous, compare),
                        percent(r.count, figures.at_risk.count),
                    ]
                    for r in figures.by_region_group
                ],
            ),
        ]
    return blocks


def methodology(report: Report, score: Score | None = None) -> list[Block]:
    """How the figures were counted, in words: no parameter names or codes."""
    text = [
        *_scope_lines(report),
        _(
            "An incident is counted once in each section it touches; breakdowns count incidents, so an "
            "incident with two codes of a section appears under both. Killed, injured, detained and victims "
            "add up the known figures. In the protection section only victims of defender groups are counted."
        ),
    ]
    if any(s.persons for s in report.sections):
        text.append(
            _(
                "Persons at risk are the defender victims of the protection section's incidents. A person of the "
                "register counts once, however many incidents name them, and in each department where they were "
                "attacked; every other victim row, including one that names an organisation or a community, adds "
                "its number of victims. A region group counts the persons attacked in any of its departments. "
                "Requests for protection count incidents, under each decision one of their requests has; the "
                "median days run from filing to decision, over the requests granted or refused on a known day."
            )
        )
    if score:
        text.append(
            _(
                "The score is the CIVICUS Monitor score (0 to 100) rebased onto the report's scale of 1 to 5 "
                "as 1 + 4 × score / 100, with the CIVICUS band of the original score."
            )
        )
    text += [
        _(
            "%(incidents)s and %(sources)s were counted.",
            incidents=ngettext(
                "%(count)s incident", "%(count)s incidents", report.incidents, count=number(report.incidents)
            ),
            sources=ngettext("%(count)s source", "%(count)s sources", report.sources, count=number(report.sources)),
        ),
        _("Generated on %(when)s.", when=format_date(report.generated_on, "long")),
    ]
    return [Block("heading", _("Methodology"), 2)] + [Block("paragraph", t) for t in text]
