"""Ready-to-edit sentences built from a report's figures, in one language (the catalogue's,
through gettext and ngettext, so Spanish plurals come from the translators, not from code).

Each sentence opens with the period and every filter in words (tracker/reports/scope.py), so
once pasted into a report it still says what it counts. A figure of zero is said as "no …
were recorded" or left out. Each keeps the figure it states and the section/dimension/key the
report links to the incident list, so an author can check it before pasting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale, ngettext, pgettext
from flask_babel import gettext as _

from ..counts.model import Report, SectionReport
from .figures import number, percent
from .scope import all_of, opening


@dataclass(frozen=True)
class Sentence:
    text: str
    count: int
    section: str
    dimension: str | None = None  # with `key`: the figure's link, see Report.list_args
    key: str = ""


def _topics() -> dict[str, str]:
    """What the incidents of a section (not the protection one) affect."""
    return {
        "1.1": pgettext("report topic", "freedom of association"),
        "1.2": pgettext("report topic", "freedom of peaceful assembly"),
        "1.3": pgettext("report topic", "freedom of expression"),
        "2.3": pgettext("report topic", "the independence of civil society organisations"),
        "6": pgettext("report topic", "the digital environment"),
    }


def build_sentences(report: Report, locale: str) -> list[Sentence]:
    with force_locale(locale):
        start = opening(report.period_from, report.period_to, report.filters)
        sentences = []
        for section in report.sections:
            sentences.append(_incidents(start, section))
            if section.key == "1.2" and any(section.totals[k] for k in ("killed", "injured", "detained")):
                sentences.append(_protest_toll(start, section))
            if section.spec.defenders_only:
                sentences += [_killed(start, report, section), _women(start, section)]
                if section.persons and section.persons.at_risk.count:
                    sentences.append(_at_risk(start, section, locale))
    return sentences


def _incidents(start: str, section: SectionReport) -> Sentence:
    n = section.totals["incidents"]
    if section.spec.defenders_only:
        text = (
            ngettext(
                "%(opening)s, at least %(count)s attack on human rights defenders was recorded.",
                "%(opening)s, at least %(count)s attacks on human rights defenders were recorded.",
                n,
                opening=start,
                count=number(n),
            )
            if n
            else _("%(opening)s, no attacks on human rights defenders were recorded.", opening=start)
        )
    else:
        topic = _topics()[section.key]
        text = (
            ngettext(
                "%(opening)s, at least %(count)s incident affecting %(topic)s was recorded.",
                "%(opening)s, at least %(count)s incidents affecting %(topic)s were recorded.",
                n,
                opening=start,
                count=number(n),
                topic=topic,
            )
            if n
            else _("%(opening)s, no incidents affecting %(topic)s were recorded.", opening=start, topic=topic)
        )
    return Sentence(text, n, section.key)


def _protest_toll(start: str, section: SectionReport) -> Sentence:
    """Killed, injured and detained in protests; the figures of zero are left out."""
    killed, injured, detained = (section.totals[k] for k in ("killed", "injured", "detained"))
    parts = []
    if killed:
        parts.append(ngettext("%(count)s person killed", "%(count)s people killed", killed, count=number(killed)))
    if injured:
        parts.append(ngettext("%(count)s person injured", "%(count)s people injured", injured, count=number(injured)))
    if detained:
        parts.append(
            ngettext("%(count)s person detained", "%(count)s people detained", detained, count=number(detained))
        )
    text = _(
        "%(opening)s, in incidents affecting freedom of peaceful assembly, at least %(toll)s.",
        opening=start,
        toll=all_of(parts),
    )
    return Sentence(text, killed, section.key)


def _killed(start: str, report: Report, section: SectionReport) -> Sentence:
    """ "At least 5 people were killed in attacks on defenders, 3 of them in Loreto and Ucayali"."""
    k, incidents = section.totals["killed"], section.killing_incidents
    if incidents == 0:
        text = _("%(opening)s, no killings of human rights defenders were recorded.", opening=start)
        return Sentence(text, 0, section.key, "violation", "killing")
    if k == 0:  # killings recorded, none with a number of dead
        text = ngettext(
            "%(opening)s, %(count)s killing of a human rights defender was recorded; "
            "the number of people killed is not known.",
            "%(opening)s, %(count)s killings of human rights defenders were recorded; "
            "the number of people killed is not known.",
            incidents,
            opening=start,
            count=number(incidents),
        )
        return Sentence(text, incidents, section.key, "violation", "killing")
    top = [r for r in section.killed_by_admin1 if r.key][:2]
    in_one_department = len(report.filters.admin1) == 1  # the opening says where already
    values = {"opening": start, "count": number(k)}
    if not top or in_one_department:
        text = ngettext(
            "%(opening)s, at least %(count)s person was killed in attacks on human rights defenders.",
            "%(opening)s, at least %(count)s people were killed in attacks on human rights defenders.",
            k,
            **values,
        )
    elif (some := sum(r.count for r in top)) == k:
        text = ngettext(
            "%(opening)s, at least %(count)s person was killed in attacks on human rights defenders, in %(places)s.",
            "%(opening)s, at least %(count)s people were killed in attacks on human rights defenders, "
            "all of them in %(places)s.",
            k,
            places=all_of(r.key for r in top),
            **values,
        )
    else:
        text = ngettext(
            "%(opening)s, at least %(count)s person was killed in attacks on human rights defenders, "
            "%(some)s of them in %(places)s.",
            "%(opening)s, at least %(count)s people were killed in attacks on human rights defenders, "
            "%(some)s of them in %(places)s.",
            k,
            some=number(some),
            places=all_of(r.key for r in top),
            **values,
        )
    return Sentence(text, k, section.key, "violation", "killing")


def _women(start: str, section: SectionReport) -> Sentence:
    row = section.women_defenders
    if row is None:  # counted for every defenders-only section, the only ones asked about
        raise ValueError(f"section {section.key} has no figures on women defenders")
    n, persons = row.count, row.persons or 0
    if n == 0 or persons == 0:
        text = _("%(opening)s, no attacks on women defenders were recorded.", opening=start)
        return Sentence(text, 0, section.key, "gender", "female")
    text = ngettext(
        "%(opening)s, at least %(count)s woman defender was attacked in %(incidents)s.",
        "%(opening)s, at least %(count)s women defenders were attacked in %(incidents)s.",
        persons,
        opening=start,
        count=number(persons),
        incidents=ngettext("%(count)s incident", "%(count)s incidents", n, count=number(n)),
    )
    return Sentence(text, n, section.key, "gender", "female")


def _at_risk(start: str, section: SectionReport, locale: str) -> Sentence:
    """After seed 001: "Between 2019 and 2024, at least 650 human rights defenders were at risk,
    52% of them in Amazonian regions", a share for each configured region group."""
    figures = section.persons
    if figures is None:  # asked for sections with persons figures only
        raise ValueError(f"section {section.key} has no figures on persons at risk")
    n = figures.at_risk.count
    shares = [
        _(
            "%(percent)s of them in %(places)s",
            percent=percent(row.count, n),
            places=figures.groups[row.key].words(locale),
        )
        for row in figures.by_region_group
    ]
    values = {"opening": start, "count": number(n)}
    if shares:
        text = ngettext(
            "%(opening)s, at least %(count)s human rights defender was at risk, %(shares)s.",
            "%(opening)s, at least %(count)s human rights defenders were at risk, %(shares)s.",
            n,
            shares=all_of(shares),
            **values,
        )
    else:
        text = ngettext(
            "%(opening)s, at least %(count)s human rights defender was at risk.",
            "%(opening)s, at least %(count)s human rights defenders were at risk.",
            n,
            **values,
        )
    return Sentence(text, n, section.key)
