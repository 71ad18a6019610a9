"""A file to import, read as rows of text cells whatever its container: CSV in UTF-8 or in
Windows-1252/Latin-1, comma- or semicolon-separated (Excel in Spanish locales writes
semicolons), or an XLSX workbook read as a stream. Whether its columns are the canonical
ones or ACLED's is told by its header.

Rows are read, never loaded: `Table.records()` starts again from the top on every call, so
the importer can check a file of millions of rows and then store it, in flat memory.
"""

from __future__ import annotations

import codecs
import csv
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO

from flask_babel import gettext as _

# --format → (container, columns); None = told by the file
FORMATS = {"csv": ("text", "canonical"), "xlsx": ("xlsx", "canonical"), "acled": (None, "acled")}
ZIP_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")
FALLBACK_ENCODINGS = ("cp1252", "latin-1")  # Excel's "CSV" in Spanish Windows, then anything
CHUNK = 1 << 20

Records = Iterator[tuple[int, list[str]]]


class UnreadableFile(Exception):
    """The file cannot be read on from `line`: not a workbook, or malformed CSV."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass
class Table:
    name: str
    container: str  # "text" | "xlsx"
    columns: str  # "canonical" | "acled"
    encoding: str  # how the text was decoded ("utf-8", "cp1252", "latin-1"); "" when not decoded here
    delimiter: str
    _records: Callable[[], Records]

    @property
    def format(self) -> str:
        """The --format name of what was read."""
        return "acled" if self.columns == "acled" else "xlsx" if self.container == "xlsx" else "csv"

    def records(self) -> Records:
        """(line, cells) from the header on; for a workbook the line is the sheet's row."""
        return self._records()


@contextmanager
def open_table(source: str | os.PathLike | IO, fmt: str | None = None) -> Iterator[Table]:
    """The file at `source` (a path, or an open binary or text file), read as `fmt`
    ("csv", "xlsx", "acled"), or as what its name and contents say when `fmt` is None."""
    container, columns = FORMATS[fmt] if fmt else (None, None)
    name = _display_name(source)
    with _opened(source) as handle:
        if container is None:
            container = "xlsx" if name.lower().endswith(".xlsx") or _starts_with(handle, ZIP_MAGIC) else "text"
        if container == "xlsx":
            table = Table(name, "xlsx", "", "", "", lambda: _workbook_records(handle))
        else:
            encoding = _encoding(handle)
            delimiter = _delimiter(next(_lines(handle, encoding), ""))
            table = Table(
                name, "text", "", encoding, delimiter, lambda: _csv_records(_lines(handle, encoding), delimiter)
            )
        table.columns = columns or _columns_of(table)
        yield table


def _display_name(source) -> str:
    name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "") or "upload"
    return Path(str(name)).name[:120]


@contextmanager
def _opened(source) -> Iterator[IO]:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as handle:
            yield handle
    else:
        yield source


def _starts_with(handle: IO, magic: bytes) -> bool:
    handle.seek(0)
    head = handle.read(len(magic))
    return isinstance(head, bytes) and head == magic


def _columns_of(table: Table) -> str:
    try:
        header = next(table.records(), (1, []))[1]
    except UnreadableFile:
        return "canonical"  # the importer reports the problem when it reads the rows
    return "acled" if "event_id_cnty" in (cell.strip().lower() for cell in header) else "canonical"


# --- text files ------------------------------------------------------------------------------


def _encoding(handle: IO) -> str:
    """UTF-8 if the whole file decodes as UTF-8, else Windows-1252, else Latin-1 (which
    decodes anything); "" for a text stream, already decoded."""
    handle.seek(0)
    if not isinstance(handle.read(0), bytes):
        return ""
    for encoding in ("utf-8", *FALLBACK_ENCODINGS):
        decoder = codecs.getincrementaldecoder(encoding)()
        handle.seek(0)
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"  # not reached: Latin-1 maps every byte


def _lines(handle: IO, encoding: str) -> Iterator[str]:
    """Lines as text, from the start, without a byte-order mark."""
    handle.seek(0)
    for number, line in enumerate(handle):
        text = line.decode(encoding) if encoding else line
        yield text.lstrip("\ufeff") if number == 0 else text


def _delimiter(header_line: str) -> str:
    """The separator the header line uses most (column names contain none of them)."""
    return max(DELIMITERS, key=header_line.count)


def _csv_records(lines: Iterator[str], delimiter: str) -> Records:
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    previous = 0
    try:
        for cells in reader:
            yield previous + 1, cells  # a row's first line; a quoted cell may span several
            previous = reader.line_num
    except csv.Error as exc:
        raise UnreadableFile(reader.line_num, _("the CSV is malformed (%(reason)s)", reason=exc)) from None


# --- workbooks -------------------------------------------------------------------------------


def _workbook_records(handle: IO) -> Records:
    """The first sheet's rows, then those of the following sheets with the same header (an
    export longer than a sheet goes on over several)."""
    from openpyxl import load_workbook

    handle.seek(0)
    try:
        book = load_workbook(handle, read_only=True)  # formulas come as their text, never run
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise UnreadableFile(
            1,
            _(
                "the file is not a readable XLSX workbook; save it again as 'Excel Workbook (.xlsx)' (%(reason)s)",
                reason=exc.__class__.__name__,
            ),
        ) from None
    try:
        header: list[str] | None = None
        offset = 0
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # some writers store a wrong used range
            rows = sheet.iter_rows(values_only=True)
            if header is not None:
                first = [_cell_text(value) for value in next(rows, ())]
                if _trimmed(first, len(header)) != header:
                    break
            number = 1
            for number, values in enumerate(rows, 1 if header is None else 2):
                cells = [_cell_text(value) for value in values]
                if header is None:
                    header = cells = _trimmed(cells, 0)
                yield offset + number, _trimmed(cells, len(header))
            offset += number
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:  # a damaged sheet
        raise UnreadableFile(
            offset + 1, _("the workbook is damaged (%(reason)s)", reason=exc.__class__.__name__)
        ) from None
    finally:
        book.close()


def _trimmed(cells: list[str], width: int) -> list[str]:
    """Cells cut or padded to `width`; empty cells past the width are dropped, filled ones kept
    (the importer then reports the extra cells)."""
    while len(cells) > width and cells[-1] == "":
        cells = cells[:-1]
    return cells + [""] * (width - len(cells))


def _cell_text(value) -> str:
    """A workbook value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)
