"""Region names: a folded key for matching what people type, and readable display names.

Boundary files spell names in upper case without accents ("MADRE DE DIOS"), monitors type
"madre de díos"; both must meet on the same key.
"""

from __future__ import annotations

import re

from unidecode import unidecode

# Spanish particles written in lower case inside a name ("Madre de Dios", "San Juan de la Virgen").
PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e"})

_APOSTROPHES = re.compile(r"['`´]")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def name_key(text: str | None) -> str:
    """Accent-, case- and punctuation-insensitive key: "Huac-Huas" and "HUAC HUAS" agree,
    apostrophes join ("O'Higgins" → "ohiggins")."""
    folded = _APOSTROPHES.sub("", unidecode(text or "").lower())
    return _NOT_ALNUM.sub(" ", folded).strip()


def display_name(raw: str | None) -> str:
    """A readable name from an all-upper (or all-lower) boundary-file name; names that are
    already mixed case were written by someone who knew better and are kept."""
    words = (raw or "").split()
    text = " ".join(words)
    if not (text.isupper() or text.islower()):
        return text
    return " ".join(
        word.lower()
        if i and word.lower() in PARTICLES
        else _LETTER_RUN.sub(lambda m: m.group().capitalize(), word.lower())
        for i, word in enumerate(words)
    )
