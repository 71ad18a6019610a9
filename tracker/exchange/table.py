"""What the readers of import files share: a file read as rows of text cells (`Table`), the
limits one import may read (`Limits`, set in tracker/config.py) and the refusal of a file that
cannot be read on (`UnreadableFile`), which the importer reports as it reports a malformed
file."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _

MB = 1 << 20

Records = Iterator[tuple[int, list[str]]]


class UnreadableFile(Exception):
    """The file cannot be read on from `line`: not a workbook, malformed CSV, or past a limit."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Limits:
    """What one import may read: tracker/config.py IMPORT_LIMITS."""

    file_bytes: int
    rows: int
    cell_chars: int
    unpacked_bytes: int
    sheets: int
    shared_strings: int
    shared_strings_bytes: int

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            file_bytes=config["IMPORT_MAX_FILE_MB"] * MB,
            rows=config["IMPORT_MAX_ROWS"],
            cell_chars=config["IMPORT_MAX_CELL_CHARS"],
            unpacked_bytes=config["IMPORT_MAX_UNPACKED_MB"] * MB,
            sheets=config["IMPORT_MAX_SHEETS"],
            shared_strings=config["IMPORT_MAX_SHARED_STRINGS"],
            shared_strings_bytes=config["IMPORT_MAX_SHARED_STRINGS_MB"] * MB,
        )

    @property
    def row_chars(self) -> int:
        """The longest row read: more cells than any format has, each as long as allowed."""
        return self.cell_chars * CELLS_PER_ROW


CELLS_PER_ROW = 100


@dataclass
class Table:
    name: str
    container: str  # "text" | "xlsx"
    columns: str  # "canonical" | "acled"
    # the encoding the text was taken to be in without the file saying so ("cp1252"), for the user
    # to check its accents; "" when it said (UTF-8 decodes as nothing else; a byte-order mark) or is no text
    encoding: str
    delimiter: str
    limits: Limits
    _records: Callable[[], Records]

    @property
    def format(self) -> str:
        """The --format name of what was read."""
        return "acled" if self.columns == "acled" else "xlsx" if self.container == "xlsx" else "csv"

    def records(self) -> Records:
        """(line, cells) from the header on; for a workbook the line is the sheet's row. Blank
        rows count towards the row limit: a million of them take as long to read."""
        for number, (line, cells) in enumerate(self._records()):
            if number > self.limits.rows:  # number 0 is the header
                raise UnreadableFile(
                    line,
                    _(
                        "the file has more than %(limit)s rows; split it into smaller files",
                        limit=format_decimal(self.limits.rows),
                    ),
                )
            yield line, cells


def megabytes(size: int) -> str:
    return format_decimal(math.ceil(size / MB))
