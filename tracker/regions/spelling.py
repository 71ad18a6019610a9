"""Region names as people in Peru write them: Junín, Huánuco, San Martín, Cañete, whatever a
boundary file, the offline gazetteer or a typed name says ("JUNIN", "Huanuco", "CA¥ETE").

tracker/data/peru_region_names.csv is our table of proper spellings: every department and
province (with other spellings met in files, such as "Puira" or "Quispicanchis"), and the words
that district names write with an accent or an ñ ("Martín", "Río", "Chavín"). It is looked up by
`name_key`, so the lookup ignores accents and case; matching names stays accent-insensitive.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from .names import display_name, name_key

COUNTRY = "PE"  # the table's country; other countries' names are only made readable
LEVEL_OF_KIND = {"department": "admin1", "province": "admin2"}
# Ñ and ñ as the DOS code pages write them (0xA5, 0xA4), read back as Latin-1: "CA¥ETE".
DOS_LETTERS = str.maketrans({"¥": "Ñ", "¤": "ñ"})
# UTF-8 read as Latin-1 or Windows-1252 starts its accented letters with Ã or Â: "JUNÃ\x8dN".
MOJIBAKE = re.compile("[ÃÂ]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Spellings:
    names: dict[tuple[str, str], str]  # (level, name key) -> department or province name
    words: dict[str, str]  # word key -> the word as written


@lru_cache(maxsize=1)
def spellings() -> Spellings:
    """The shipped table, read once."""
    text = files("tracker").joinpath("data/peru_region_names.csv").read_text(encoding="utf-8")
    names: dict[tuple[str, str], str] = {}
    words: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["kind"] == "word":
            words[name_key(row["name"])] = row["name"]
            continue
        level = LEVEL_OF_KIND[row["kind"]]
        for spelling in [row["name"], *filter(None, row["other_spellings"].split(";"))]:
            names[level, name_key(spelling)] = row["name"]
    return Spellings(names, words)


def listed_name(level: str, text: str | None) -> str | None:
    """The proper name of the department or province called `text` in any spelling, or None
    for a name the table does not list (and for districts, which it does not list)."""
    return spellings().names.get((level, name_key(repaired(text))))


def proper_name(level: str, raw: str | None, country: str = COUNTRY) -> str:
    """The name to store and show for a region a boundary file or the gazetteer calls `raw`:
    the table's department or province, else a readable name with the table's accented words."""
    text = display_name(repaired(raw))
    if country != COUNTRY:
        return text
    return listed_name(level, text) or with_accents(text)


def with_accents(text: str) -> str:
    """`text` with each word the table lists written as it lists it ("San Martin" → "San Martín")."""
    words = spellings().words
    return _LETTER_RUN.sub(lambda m: words.get(name_key(m.group()), m.group()), text)


def repaired(raw: str | None) -> str:
    """A name with what files garble put right: DOS Ñ (¥), UTF-8 read as Latin-1, and
    underscores for spaces ("ANCO_HUALLO")."""
    text = (raw or "").translate(DOS_LETTERS).replace("_", " ")
    if MOJIBAKE.search(text):
        for encoding in ("cp1252", "latin-1"):
            try:
                return text.encode(encoding).decode("utf-8")
            except UnicodeError:
                continue
    return text
