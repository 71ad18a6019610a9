"""Spreadsheet formula injection (OWASP "CSV injection"): a text cell that starts with `=`, `+`,
`-`, `@` (or a tab or carriage return, which some spreadsheets skip before reading one of those)
would be run as a formula when a partner opens an export in Excel or LibreOffice.

Exports write such text cells with a leading apostrophe, which spreadsheets show as plain text;
imports take that apostrophe off again, so text survives a round trip unchanged and is always
stored as text. Only free-text columns are treated: numbers and coordinates such as `-12.5`
are data, not formulas.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def neutralise(text: str) -> str:
    """The cell to write for a text value. Text that already starts with apostrophes before a
    trigger gets one more, so that `restore` gives it back whole."""
    return GUARD + text if _behind_guards(text) else text


def restore(cell: str) -> str:
    """The text value of a cell written by `neutralise` (or typed the same way by a person)."""
    return cell[1:] if cell.startswith(GUARD) and _behind_guards(cell) else cell


def _behind_guards(text: str) -> bool:
    return text.lstrip(GUARD).startswith(TRIGGERS)
