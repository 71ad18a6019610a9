"""A file to import, read as rows of text cells whatever its container: a CSV file
(text_files.py) or an XLSX workbook (workbooks.py), told apart by its name and first bytes.
Whether its columns are the canonical ones or ACLED's is told by its header.

Rows are read, never loaded: `Table.records()` starts again from the top on every call, so
the importer can check a file of millions of rows and then store it, in flat memory.

A file may be hostile or merely broken. One past the limits (`Limits`, set in tracker/config.py)
is refused: on its size, its encoding, and for a workbook what it unpacks to (its zip entries
declare that, and Python's zipfile never unpacks more), its sheets and its table of texts,
before a row is read; on its row count and the length of its rows as they are read. A refusal
is an `UnreadableFile` that `records()` raises, so the importer reports it as it reports a
malformed file, and stores nothing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _

from .table import Limits, Records, Table, UnreadableFile, megabytes
from .text_files import text_table
from .workbooks import workbook_table

# --format → (container, columns); None = told by the file
FORMATS = {"csv": ("text", "canonical"), "xlsx": ("xlsx", "canonical"), "acled": (None, "acled")}
ZIP_MAGIC = b"PK\x03\x04"


@contextmanager
def open_table(source: str | os.PathLike | IO, fmt: str | None = None) -> Iterator[Table]:
    """The file at `source` (a path, or an open binary or text file), read as `fmt`
    ("csv", "xlsx", "acled"), or as what its name and contents say when `fmt` is None."""
    container, columns = FORMATS[fmt] if fmt else (None, None)
    name = _display_name(source)
    limits = Limits.from_config(current_app.config)
    with _opened(source) as handle:
        if container is None:
            container = "xlsx" if name.lower().endswith(".xlsx") or _starts_with(handle, ZIP_MAGIC) else "text"
        try:
            _check_size(handle, limits)
            table = workbook_table(name, handle, limits) if container == "xlsx" else text_table(name, handle, limits)
        except UnreadableFile as refusal:
            table = Table(name, container, "", "", ",", limits, _refused(refusal))
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


def _refused(refusal: UnreadableFile) -> Callable[[], Records]:
    """The records of a file refused on opening: the refusal, raised when they are read."""

    def records() -> Records:
        raise refusal

    return records


def _check_size(handle: IO, limits: Limits) -> None:
    size = handle.seek(0, io.SEEK_END)
    if size > limits.file_bytes:
        raise UnreadableFile(
            1,
            _(
                "the file is %(size)s MB, more than the %(limit)s MB an import may read; split it into smaller files",
                size=megabytes(size),
                limit=megabytes(limits.file_bytes),
            ),
        )
