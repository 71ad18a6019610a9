"""Ready-to-edit sentences in English and Spanish, built from a report's figures.

Each sentence keeps the figure it states and the section/dimension/key that the report
links to the incident list, so an author can check it before pasting it into the text.
Both languages are always built (a report in one language quotes the other's sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date

from ..counts.model import Report, SectionReport

# section -> what its incidents affect (EN, ES)
TOPICS = {
    "1.1": ("freedom of association", "la libertad de asociación"),
    "1.2": ("freedom of peaceful assembly", "la libertad de reunión pacífica"),
    "1.3": ("freedom of expression", "la libertad de expresión"),
    "protection": ("human rights defenders", "a personas defensoras de derechos humanos"),
    "2.3": (
        "the independence of civil society organisations",
        "la independencia de las organizaciones de la sociedad civil",
    ),
    "6": ("the digital environment", "el entorno digital"),
}


@dataclass(frozen=True)
class Sentence:
    en: str
    es: str
    count: int
    section: str
    dimension: str | None = None  # with `key`: the figure's link, see Report.list_args
    key: str = ""

    def text(self, locale: str) -> str:
        return self.es if locale.startswith("es") else self.en


def _whole_months(start: date, end: date) -> bool:
    return start.day == 1 and (end + timedelta(days=1)).day == 1


def period_phrase(start: date, end: date, locale: str) -> str:
    """ "Between January and December 2024" / "Entre enero y diciembre de 2024"."""
    es, lang = locale.startswith("es"), locale[:2]
    if _whole_months(start, end):

        def month(d, year=False):
            name = format_date(d, "LLLL", locale=lang)
            return name if not year else f"{name} de {d.year}" if es else f"{name} {d.year}"

        if (start.year, start.month) == (end.year, end.month):
            return f"En {month(start, True)}" if es else f"In {month(start, True)}"
        first = month(start, year=start.year != end.year)
        return f"Entre {first} y {month(end, True)}" if es else f"Between {first} and {month(end, True)}"
    pattern = "d 'de' MMMM 'de' y" if es else "d MMMM y"
    first, last = format_date(start, pattern, locale=lang), format_date(end, pattern, locale=lang)
    if start == end:
        return f"El {first}" if es else f"On {first}"
    return f"Entre el {first} y el {last}" if es else f"Between {first} and {last}"


def _join(names: list[str], es: bool) -> str:
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {'y' if es else 'and'} {names[-1]}"


def build_sentences(report: Report) -> list[Sentence]:
    sentences = []
    for section in report.sections:
        sentences.append(_incidents(report, section))
        if section.key == "1.2" and any(section.totals[k] for k in ("killed", "injured", "detained")):
            sentences.append(_protest_toll(report, section))
        if section.spec.defenders_only:
            sentences += [_killed(report, section), _women(report, section)]
    return sentences


def _periods(report: Report) -> tuple[str, str]:
    return (
        period_phrase(report.period_from, report.period_to, "en"),
        period_phrase(report.period_from, report.period_to, "es"),
    )


def _incident_nouns(section: SectionReport, n: int) -> tuple[str, str]:
    """ "attacks on human rights defenders" / "incidents affecting freedom of …", in number."""
    (topic_en, topic_es), plural = TOPICS[section.key], n != 1
    if section.spec.defenders_only:
        return (f"attack{'s' if plural else ''} on {topic_en}", f"{'agresiones' if plural else 'agresión'} {topic_es}")
    verb = "afectaran" if n == 0 else "afectaron" if plural else "afectó"
    return (
        f"incident{'s' if plural else ''} affecting {topic_en}",
        f"incidente{'s' if plural else ''} que {verb} {topic_es}",
    )


def _incidents(report: Report, section: SectionReport) -> Sentence:
    n, (en, es) = section.totals["incidents"], _periods(report)
    noun_en, noun_es = _incident_nouns(section, n)
    if n == 0:
        return Sentence(f"{en}, no {noun_en} were recorded.", f"{es}, no se registraron {noun_es}.", n, section.key)
    return Sentence(
        f"{en}, at least {n} {noun_en} {'were' if n != 1 else 'was'} recorded.",
        f"{es}, se {'registraron' if n != 1 else 'registró'} al menos {n} {noun_es}.",
        n,
        section.key,
    )


def _people(n: int, es: bool) -> str:
    if es:
        return f"{n} persona{'s' if n != 1 else ''}"
    return f"{n} {'people' if n != 1 else 'person'}"


def _protest_toll(report: Report, section: SectionReport) -> Sentence:
    t, (en, es) = section.totals, _periods(report)
    parts_en = [f"{_people(t['killed'], False)} killed", f"{t['injured']} injured", f"{t['detained']} detained"]
    parts_es = [
        f"{_people(t['killed'], True)} {'fallecieron' if t['killed'] != 1 else 'falleció'}",
        f"{t['injured']} {'resultaron heridas' if t['injured'] != 1 else 'resultó herida'}",
        f"{t['detained']} {'fueron detenidas' if t['detained'] != 1 else 'fue detenida'}",
    ]
    return Sentence(
        f"{en}, in incidents affecting freedom of peaceful assembly, at least {_join(parts_en, False)}.",
        f"{es}, en incidentes que afectaron la libertad de reunión pacífica, al menos {_join(parts_es, True)}.",
        t["killed"],
        section.key,
    )


def _killed(report: Report, section: SectionReport) -> Sentence:
    """ "At least 5 people were killed in attacks on defenders, 3 of them in Loreto and Ucayali"."""
    k, (en, es) = section.totals["killed"], _periods(report)
    if section.killing_incidents == 0:
        return Sentence(
            f"{en}, no killings of human rights defenders were recorded.",
            f"{es}, no se registraron asesinatos de personas defensoras de derechos humanos.",
            0,
            section.key,
            "violation",
            "killing",
        )
    top = [r for r in section.killed_by_admin1 if r.key][:2]
    where_en = where_es = ""
    if top:
        m, names = sum(r.count for r in top), [r.key for r in top]
        if m == k:
            where_en = f", {'all of them ' if k > 1 else ''}in {_join(names, False)}"
            where_es = f", {'todas ellas ' if k > 1 else ''}en {_join(names, True)}"
        else:
            where_en = f", {m} of them in {_join(names, False)}"
            where_es = f", {m} de ellas en {_join(names, True)}"
    return Sentence(
        f"{en}, at least {_people(k, False)} {'were' if k != 1 else 'was'} killed in attacks on "
        f"human rights defenders{where_en}.",
        f"{es}, al menos {_people(k, True)} {'fueron asesinadas' if k != 1 else 'fue asesinada'} en agresiones "
        f"a personas defensoras de derechos humanos{where_es}.",
        k,
        section.key,
        "violation",
        "killing",
    )


def _women(report: Report, section: SectionReport) -> Sentence:
    row, (en, es) = section.women_defenders, _periods(report)
    if row is None:  # counted for every defenders-only section, the only ones asked about
        raise ValueError(f"section {section.key} has no figures on women defenders")
    n, p = row.count, row.persons
    if n == 0:
        return Sentence(
            f"{en}, no attacks on women defenders were recorded.",
            f"{es}, no se registraron agresiones a mujeres defensoras.",
            0,
            section.key,
            "gender",
            "female",
        )
    return Sentence(
        f"{en}, at least {p} wom{'e' if p != 1 else 'a'}n defender{'s' if p != 1 else ''} "
        f"{'were' if p != 1 else 'was'} attacked in {n} incident{'s' if n != 1 else ''}.",
        f"{es}, al menos {p} {'mujeres defensoras fueron agredidas' if p != 1 else 'mujer defensora fue agredida'} "
        f"en {n} incidente{'s' if n != 1 else ''}.",
        n,
        section.key,
        "gender",
        "female",
    )
