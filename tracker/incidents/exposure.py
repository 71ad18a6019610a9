"""Restricted values typed into the open text: the title and description of an incident shown
to the public or partners are read by everyone who sees it, so a victim's name, an
organisation or a restricted place written there undoes the restriction. The form warns
before saving (static/js/exposure-check.js follows the same rule as the user types) and the
save asks for a confirmation.

Matching is by whole words, without case or accents: a name matches as a whole phrase, or by
any of its words of four letters or more ("Yupanqui" in "amenazas a Yupanqui"); an
organisation and a place match as whole phrases.
"""

from __future__ import annotations

from ..search_index import plain_words
from .data import IncidentData

SHOWN_BEYOND_STAFF = ("public", "partners")
NAME_WORD_MIN = 4


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def place_is_restricted(data: IncidentData) -> bool:
    """Whether some reader of the incident may not see its place text (security.exact_location_clause)."""
    return not (data.visibility == "public" and data.public_location == "exact")


def exposed(data: IncidentData) -> list[str]:
    """The restricted values that the title or description of an incident shown beyond staff
    contains, as typed in the form; empty when there are none or only staff see it."""
    if data.visibility not in SHOWN_BEYOND_STAFF:
        return []
    text = plain_words(f"{data.title} {data.description}")
    found: list[str] = []

    def check(value: str, by_word: bool) -> None:
        phrase = plain_words(value)
        if value.strip() and value.strip() not in found:
            if _contains(text, phrase) or (by_word and any(len(w) >= NAME_WORD_MIN and w in text for w in phrase)):
                found.append(value.strip())

    for victim in data.victims:
        check(victim.name, by_word=True)
        check(victim.organisation, by_word=False)
    if place_is_restricted(data):
        check(data.place, by_word=False)
    return found
