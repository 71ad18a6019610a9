"""What a report covers, in words of the current language (Flask-Babel's locale): the period
and every filter, so a sentence, a chart or a title page pasted elsewhere still says it is
about Puno, or about journalists, and not about the whole country.

Here, the phrases a sentence opens with ("Between January and December 2024, in Puno, against
journalists"); the labelled lines of title pages and the methodology ("Department: Puno") are
tracker/filter_words.py's, shared with the list's chips and the map captions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from babel.dates import format_skeleton
from babel.lists import format_list
from flask_babel import format_date, get_locale, ngettext, pgettext
from flask_babel import gettext as _

from ..filters import IncidentFilter
from ..i18n import term_label
from ..taxonomy import (
    CONFIDENCES,
    REPORTABLE_STATUSES,
    STATUSES,
    VIOLATIONS,
    Term,
)


def _locale() -> str:
    return str(get_locale())


def any_of(items: Iterable[str]) -> str:
    """ "Lima, Cusco, or Puno" / "Lima, Cusco o Puno": a filter's values are alternatives."""
    return format_list(list(items), style="or", locale=_locale())


def all_of(items: Iterable[str]) -> str:
    """ "Lima, Cusco, and Puno" / "Lima, Cusco y Puno"."""
    return format_list(list(items), locale=_locale())


def _month(day: date, year: bool) -> str:
    return format_skeleton("yMMMM", day, locale=_locale()) if year else format_date(day, "LLLL")


def period_phrase(start: date, end: date) -> str:
    """ "Between January and December 2024" / "Entre enero y diciembre de 2024"; whole days
    when the period does not start and end with a month."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        if (start.year, start.month) == (end.year, end.month):
            return _("In %(month)s", month=_month(start, year=True))
        first = _month(start, year=start.year != end.year)
        return _("Between %(start)s and %(end)s", start=first, end=_month(end, year=True))
    if start == end:
        return _("On %(day)s", day=format_date(start, "long"))
    return pgettext(
        "between two days",
        "Between %(start)s and %(end)s",
        start=format_date(start, "long"),
        end=format_date(end, "long"),
    )


def _in_sentence(label: str) -> str:
    """A taxonomy label inside a sentence: "Threat" → "threat", but "LGBTIQ+" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _labels(terms: dict[str, Term], codes: list[str]) -> list[str]:
    return [_in_sentence(term_label(terms, code)) for code in codes]


def victim_group_words() -> dict[str, str]:
    """Victim groups as the people a sentence speaks of ("against journalists"); one for every
    code of the taxonomy."""
    return {
        "hrd": _("human rights defenders"),
        "environmental_defender": _("environmental defenders"),
        "land_defender": _("land defenders"),
        "indigenous_leader": _("Indigenous leaders"),
        "journalist": _("journalists"),
        "media_worker": _("media workers"),
        "trade_unionist": _("trade unionists"),
        "lawyer": _("lawyers"),
        "cso_member": _("members of civil society organisations"),
        "community_leader": _("community leaders"),
        "protester": _("protesters"),
        "student": _("students"),
        "lgbtiq_activist": _("LGBTIQ+ activists"),
        "family_member": _("family members"),
        "organisation": _("organisations"),
        "community": _("communities"),
        "other": _("other victims"),
    }


def gender_words() -> dict[str, str]:
    return {
        "female": _("women"),
        "male": _("men"),
        "non_binary": _("non-binary people"),
        "unknown": _("people of unrecorded gender"),
    }


def perpetrator_words() -> dict[str, str]:
    """Perpetrator types as a sentence names them ("by the police")."""
    return {
        "police": _("the police"),
        "military": _("the armed forces"),
        "state_official": _("state officials"),
        "judiciary": _("the judiciary or prosecutors"),
        "legislature": _("Congress"),
        "private_security": _("private security"),
        "company": _("companies"),
        "illegal_mining": _("illegal miners"),
        "illegal_logging": _("illegal loggers"),
        "drug_trafficking": _("drug traffickers"),
        "armed_group": _("armed groups"),
        "mob": _("mobs"),
        "individual": _("private individuals"),
        "unknown": _("unknown perpetrators"),
    }


def _named(words: dict[str, str], codes: list[str]) -> list[str]:
    return [words[code] for code in codes]


def country_names(codes: list[str]) -> list[str]:
    names = get_locale().territories
    return [names.get(code, code) for code in codes]


def scope_phrases(f: IncidentFilter) -> list[str]:
    """Every filter of `f` but the period and the sections, as phrases that follow the period
    ("in Puno", "against journalists", "by the police", …); none for an unfiltered report."""
    phrases = []
    if f.admin2:
        phrases.append(
            ngettext(
                "in the province of %(names)s", "in the provinces of %(names)s", len(f.admin2), names=all_of(f.admin2)
            )
        )
    for places in (f.admin1, country_names(f.country)):
        if places:
            phrases.append(_("in %(places)s", places=all_of(places)))
    groups, genders = any_of(_named(victim_group_words(), f.victim_group)), any_of(_named(gender_words(), f.gender))
    if f.victim_group and f.gender:
        phrases.append(_("against %(groups)s who are %(genders)s", groups=groups, genders=genders))
    elif f.victim_group or f.gender:
        phrases.append(_("against %(victims)s", victims=groups or genders))
    if f.perpetrator:
        phrases.append(_("by %(perpetrators)s", perpetrators=any_of(_named(perpetrator_words(), f.perpetrator))))
    if f.violation:
        phrases.append(_("in incidents of the type %(types)s", types=any_of(_labels(VIOLATIONS, f.violation))))
    if f.confidence:
        phrases.append(_("with confidence %(levels)s", levels=any_of(_labels(CONFIDENCES, f.confidence))))
    if f.status and set(f.status) != set(REPORTABLE_STATUSES):
        phrases.append(_("with status %(statuses)s", statuses=any_of(_labels(STATUSES, f.status))))
    if f.q:
        phrases.append(_("searching for “%(text)s”", text=f.q))
    return phrases


def opening(start: date, end: date, f: IncidentFilter) -> str:
    """The period and the filters, as a sentence about the figures starts:
    "Between January and December 2024, in Puno, against journalists"."""
    return ", ".join([period_phrase(start, end), *scope_phrases(f)])


def statuses_text(statuses: list[str]) -> str:
    """ "Verified or Published": the statuses a report counted."""
    return any_of(term_label(STATUSES, s) for s in statuses)
