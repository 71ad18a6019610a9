"""XLSX: the canonical columns on one sheet, with real dates and numbers.

openpyxl's write-only mode streams rows to disk as they come, with inline strings (no table
of every distinct string in memory); the finished workbook is spooled to a temporary file
and read back in pieces. A sheet holds at most 1,048,576 rows, so a larger export goes on
over further sheets rather than losing rows.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .csv_format import COLUMNS, CsvIncident, format_row
from .values import NUMBERS, typed

SHEET_ROWS = 1_048_576 - 1  # Excel's limit, less the header
CHUNK = 1 << 16
# real dates for the one-date columns; `source_published_on` is a list, kept as text like `victim_count`
_DATES = ("date", "end_date", "protection_requested_on", "protection_decided_on")
_CONVERTERS = {**NUMBERS, **dict.fromkeys(_DATES, date.fromisoformat)}


def encode(rows: Iterable[CsvIncident]) -> Iterator[bytes]:
    book = Workbook(write_only=True)
    sheet = _sheet(book, 1)
    for n, row in enumerate(rows):
        if n and n % SHEET_ROWS == 0:
            sheet = _sheet(book, n // SHEET_ROWS + 1)
        sheet.append([_xml_safe(value) for value in typed(format_row(row), _CONVERTERS)])
    with tempfile.TemporaryFile() as spool:
        book.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


def _xml_safe(value):
    """Control characters (pasted from other programs) cannot be stored in XLSX at all."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _sheet(book: Workbook, number: int):
    sheet = book.create_sheet("Incidents" if number == 1 else f"Incidents {number}")
    sheet.freeze_panes = "A2"
    sheet.append(COLUMNS)
    return sheet
