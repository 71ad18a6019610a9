"""A file to import, read as rows of text cells whatever its container: CSV in UTF-8 (with or
without a byte-order mark), UTF-16 with a byte-order mark, or Windows-1252/Latin-1, comma- or
semicolon-separated (Excel in Spanish locales writes semicolons), or an XLSX workbook read as
a stream. Whether its columns are the canonical ones or ACLED's is told by its header.

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

import codecs
import csv
import io
import math
import os
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _

# --format → (container, columns); None = told by the file
FORMATS = {"csv": ("text", "canonical"), "xlsx": ("xlsx", "canonical"), "acled": (None, "acled")}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 20
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
            table = _workbook(name, handle, limits) if container == "xlsx" else _text(name, handle, limits)
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


def _megabytes(size: int) -> str:
    return format_decimal(math.ceil(size / MB))


def _check_size(handle: IO, limits: Limits) -> None:
    size = handle.seek(0, io.SEEK_END)
    if size > limits.file_bytes:
        raise UnreadableFile(
            1,
            _(
                "the file is %(size)s MB, more than the %(limit)s MB an import may read; split it into smaller files",
                size=_megabytes(size),
                limit=_megabytes(limits.file_bytes),
            ),
        )


# --- text files ------------------------------------------------------------------------------

# byte-order mark → the codec of what follows it; None: an encoding no spreadsheet writes
BOMS = (
    (codecs.BOM_UTF32_LE, None),  # before UTF-16's, which it starts with
    (codecs.BOM_UTF32_BE, None),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
GUESSED = "cp1252"  # Excel's "CSV" in Spanish Windows; Latin-1 text reads the same, short of control characters
# Characters of Windows-1252 that Spanish (or Portuguese, French...) text hardly has, but that
# the bytes of other encodings turn into: Shift-JIS, Mac Roman, DOS code pages, Windows-1250...
_UNLIKELY = frozenset("‚ƒ„†‡ˆ‰Š‹ŒŽ˜š›œžŸ¤¦¨¯¸")
_JOINERS = frozenset("’´·")  # may stand between two letters: don’t, Perú´s, l·l
_DASHES = frozenset("–—")  # between two words, the second capitalised: Lima–Callao (Mac Roman has ñ as –)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_NON_ASCII_LETTERS = re.compile(r"[^\W\d_\x00-\x7f]{3}")  # three in a row: Cyrillic, Greek, CJK bytes
_MOJIBAKE = re.compile(r"[ÂÃâ][^\x00-\x7f]")  # UTF-8 read as Windows-1252: Ã± for ñ, â€œ for “
_HEAD = 64 * 1024
_ASCII = bytes(range(128))
_CELL_BREAKS = re.compile(rb'[,;\t\r\n"]+')  # no byte of a character in Shift-JIS, GBK, Big5...
_GUESSED_FROM = 32  # bytes beyond ASCII; on fewer, charset-normalizer takes Polish for Korean
# charset-normalizer's codec names → what a user may know them as; only guesses it gets right
# (it takes short Spanish text for anything Latin, so those are not named)
_ENCODING_NAMES = {
    "cp932": "Shift-JIS",
    "shift_jis": "Shift-JIS",
    "shift_jis_2004": "Shift-JIS",
    "shift_jisx0213": "Shift-JIS",
    "euc_jp": "EUC-JP",
    "gb18030": "GB18030",
    "gbk": "GBK",
    "gb2312": "GB2312",
    "big5": "Big5",
    "big5hkscs": "Big5",
    "cp949": "EUC-KR",
    "euc_kr": "EUC-KR",
    "cp1251": "Windows-1251",
    "koi8_r": "KOI8-R",
    "cp866": "CP866",
    "cp1253": "Windows-1253",
    "cp1255": "Windows-1255",
    "cp1256": "Windows-1256",
    "cp874": "Windows-874",
}


def _text(name: str, handle: IO, limits: Limits) -> Table:
    codec, start = _encoding(handle)
    with _decoded(handle, codec, start) as text:
        delimiter = _delimiter(text.readline(limits.row_chars))
    return Table(
        name,
        "text",
        "",
        codec if codec == GUESSED else "",
        delimiter,
        limits,
        lambda: _csv_records(handle, codec, start, delimiter, limits),
    )


def _encoding(handle: IO) -> tuple[str, int]:
    """The codec of the file's text and the bytes before it (a byte-order mark): a mark's
    encoding; else UTF-8 if the whole file decodes as UTF-8; else Windows-1252 if it reads
    like text in it; else the file is refused. ("", 0) for a text stream, already decoded."""
    handle.seek(0)
    head = handle.read(_HEAD)
    if not isinstance(head, bytes):
        return "", 0
    if head.startswith(OLE_MAGIC):
        raise UnreadableFile(
            1,
            _("the file is an old Excel workbook (.xls); save it as 'Excel Workbook (.xlsx)' or as 'CSV UTF-8'"),
        )
    for bom, codec in BOMS:
        if head.startswith(bom):
            if codec is None:
                raise UnreadableFile(1, _("the file is UTF-32 text; save it as 'CSV UTF-8'"))
            if (line := _undecodable_line(handle, codec, len(bom))) is not None:
                raise UnreadableFile(
                    line,
                    _(
                        "the file says it is %(encoding)s but is not, from this line on; save it again as 'CSV UTF-8'",
                        encoding=codec.upper(),
                    ),
                )
            return codec, len(bom)
    if _looks_like_utf16(head):
        raise UnreadableFile(1, _("the file is UTF-16 text without a byte-order mark; save it as 'CSV UTF-8'"))
    line = _undecodable_line(handle, "utf-8", 0)
    if line is None:
        return "utf-8", 0
    if _reads_as_cp1252(handle):
        return GUESSED, 0
    if _utf8_before(handle, line):
        raise UnreadableFile(
            line,
            _(
                "the file is UTF-8 up to this line, where some characters are in another encoding (as when "
                "text from two files is put together); correct the accents on this line and save the file as "
                "'CSV UTF-8'"
            ),
        )
    guess = _guess(handle)
    raise UnreadableFile(
        line,
        _(
            "the text is neither UTF-8 nor Windows-1252 (it looks like %(encoding)s); "
            "save the file as 'CSV UTF-8' and import it again",
            encoding=guess,
        )
        if guess
        else _("the text is neither UTF-8 nor Windows-1252; save the file as 'CSV UTF-8' and import it again"),
    )


def _undecodable_line(handle: IO, codec: str, start: int) -> int | None:
    """The line of the first bytes that do not decode as `codec`; None if all do."""
    decoder = codecs.getincrementaldecoder(codec)()
    handle.seek(start)
    line = 1
    try:
        while chunk := handle.read(CHUNK):
            line += decoder.decode(chunk).count("\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:  # exc.object: what the decoder held, then the chunk
        return line + exc.object[: exc.start].decode(codec, "replace").count("\n")
    return None


def _looks_like_utf16(head: bytes) -> bool:
    """Text of Latin letters in UTF-16 has a zero byte in every other place, and only there."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return len(head) >= 8 and max(even, odd) > len(head) // 4 and min(even, odd) <= len(head) // 64


def _reads_as_cp1252(handle: IO) -> bool:
    """Whether the file reads as Windows-1252 text: Shift-JIS, Cyrillic, Mac or DOS text and
    UTF-8 with a stray byte may all decode as it, but as characters out of place or in
    unlikely runs, where Spanish has an accented letter or a ¿ between ASCII ones."""
    handle.seek(0)
    while piece := handle.readline(CHUNK):
        try:
            text = piece.decode(GUESSED)
        except UnicodeDecodeError:  # five bytes Windows-1252 leaves undefined
            return False
        for run in _NON_ASCII.finditer(text):
            chars, at, end = run.group(), run.start(), run.end()
            joined = at > 0 and text[at - 1].isalpha() and end < len(text) and text[end].isalpha()
            if (
                not _UNLIKELY.isdisjoint(chars)
                or len(chars) > 3
                or _NON_ASCII_LETTERS.search(chars)
                or _MOJIBAKE.search(chars)
                or joined
                and not all(c.isalpha() or c in _JOINERS for c in chars)
                and not (chars in _DASHES and text[end].isupper())
            ):
                return False
    return True


def _utf8_before(handle: IO, line: int) -> bool:
    """Whether the lines before `line`, which decode as UTF-8, hold characters beyond ASCII."""
    handle.seek(0)
    number = 1
    while number < line and (piece := handle.readline(CHUNK)):
        if not piece.isascii():
            return True
        number += piece.endswith(b"\n")
    return False


def _guess(handle: IO) -> str:
    """The encoding charset-normalizer takes the file's cells beyond ASCII to be in (the
    separators between them mislead it), when it is one it recognises well and has enough
    text to tell; "" otherwise."""
    from charset_normalizer import from_bytes

    handle.seek(0)
    sample = bytearray()
    while len(sample) < _HEAD and (piece := handle.readline(CHUNK)):
        sample += b"\n".join(cell for cell in _CELL_BREAKS.split(piece) if not cell.isascii())
    if len(sample.translate(None, _ASCII)) < _GUESSED_FROM:
        return ""
    best = from_bytes(bytes(sample)).best()
    return _ENCODING_NAMES.get(best.encoding, "") if best else ""


@contextmanager
def _decoded(handle: IO, codec: str, start: int) -> Iterator[IO[str]]:
    """The file as text from `start`, newlines as they are (the csv module reads them); the
    file is left open."""
    handle.seek(start)
    if not codec:
        yield handle
        return
    text = io.TextIOWrapper(handle, encoding=codec, newline="")
    try:
        yield text
    finally:
        text.detach()


def _delimiter(header_line: str) -> str:
    """The separator the header line uses most (column names contain none of them)."""
    return max(DELIMITERS, key=header_line.count)


def _csv_records(handle: IO, codec: str, start: int, delimiter: str, limits: Limits) -> Records:
    row_chars = 0  # of the row being read, which a quoted cell may spread over several lines
    physical = 0

    def lines(text: IO[str]) -> Iterator[str]:
        nonlocal row_chars, physical
        while line := text.readline(limits.row_chars - row_chars + 1):
            physical += 1
            row_chars += len(line)
            if row_chars > limits.row_chars:
                raise UnreadableFile(
                    physical,
                    _(
                        "a row is longer than %(limit)s characters, more than a row of incidents holds; "
                        "check that the file is a CSV file",
                        limit=format_decimal(limits.row_chars),
                    ),
                )
            yield line.lstrip("\ufeff") if physical == 1 else line

    # The csv module's own limit on a cell is for the whole process, and reverse_geocoder lifts it
    # when imported: lifted here too (never lowered), the row's bound and the importer's check of
    # each cell are what limit a cell, whatever was imported before.
    csv.field_size_limit(max(csv.field_size_limit(), limits.row_chars))
    with _decoded(handle, codec, start) as text:
        reader = csv.reader(lines(text), delimiter=delimiter, strict=True)
        previous = 0
        try:
            for cells in reader:
                row_chars = 0
                yield previous + 1, cells  # a row's first line
                previous = reader.line_num
        except csv.Error as exc:
            raise UnreadableFile(reader.line_num, _("the CSV is malformed (%(reason)s)", reason=exc)) from None


# --- workbooks -------------------------------------------------------------------------------

CONTENT_TYPES = "[Content_Types].xml"
WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_EOCD = struct.Struct("<4s4H2LH")  # a zip's end of central directory record
_EOCD_MAGIC = b"PK\x05\x06"
DIRECTORY_BYTES = MB  # a workbook's list of parts takes a few KB; zipfile holds a few hundred bytes per entry
MAX_RATIO = 100  # unpacked / packed size of a part, as Apache POI allows; sheets compress 5-20 times
RATIO_CHECKED_FROM = MB  # smaller parts may compress better: they cannot unpack to much
PART_BYTES = 32 * MB  # any other XML part the reader parses whole (styles, the workbook's list of sheets)
_PART_HEAD = 4096
# XML entity declarations, which let a small file expand without end ("billion laughs"); the
# reader refuses them too (defusedxml), these say why before it starts
_DECLARATIONS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
# distinct texts; count= is of the cells that refer to them, which may be millions
_SST_COUNT = re.compile(rb"<(?:[\w.-]+:)?sst\b[^>]*?\buniqueCount=[\"'](\d+)")


def _workbook(name: str, handle: IO, limits: Limits) -> Table:
    _check_workbook(handle, limits)
    return Table(name, "xlsx", "", "", "", limits, lambda: _workbook_records(handle))


def _not_a_workbook(reason: str) -> UnreadableFile:
    return UnreadableFile(
        1,
        _(
            "the file is not a readable XLSX workbook; save it again as 'Excel Workbook (.xlsx)' (%(reason)s)",
            reason=reason,
        ),
    )


def _declares_entities() -> UnreadableFile:
    return UnreadableFile(
        1,
        _(
            "the workbook declares XML entities, which Excel never writes and which can make a small file "
            "expand without end; save it again from Excel or LibreOffice"
        ),
    )


def _check_workbook(handle: IO, limits: Limits) -> None:
    """Refuse a workbook that would take more to read than the limits allow, from what its zip
    declares, before openpyxl opens it."""
    from defusedxml import DefusedXmlException

    _check_directory_size(handle)
    try:
        with zipfile.ZipFile(handle) as archive:
            parts = archive.infolist()
            for part in parts:
                if part.file_size >= RATIO_CHECKED_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1):
                    raise UnreadableFile(
                        1,
                        _(
                            "a part of the workbook unpacks to %(ratio)s times its size (%(limit)s at most): the "
                            "file is damaged or made to exhaust the server, and is not read",
                            ratio=format_decimal(part.file_size // max(part.compress_size, 1)),
                            limit=MAX_RATIO,
                        ),
                    )
            unpacked = sum(part.file_size for part in parts)
            if unpacked > limits.unpacked_bytes:
                raise UnreadableFile(
                    1,
                    _(
                        "the workbook unpacks to %(size)s MB, more than the %(limit)s MB an import may read; "
                        "split it into smaller workbooks",
                        size=_megabytes(unpacked),
                        limit=_megabytes(limits.unpacked_bytes),
                    ),
                )
            types = _part_types(archive, parts)
            _check_parts(archive, parts, types, limits)
    except DefusedXmlException:
        raise _declares_entities() from None
    # RuntimeError: a part encrypted or packed in a way zipfile cannot unpack
    except (zipfile.BadZipFile, KeyError, SyntaxError, ValueError, OSError, EOFError, RuntimeError) as exc:
        raise _not_a_workbook(exc.__class__.__name__) from None


def _check_directory_size(handle: IO) -> None:
    """zipfile reads every entry of a zip's directory into memory, however many the file packs
    into a few bytes each: the size is in the record at the file's end."""
    size = handle.seek(0, io.SEEK_END)
    handle.seek(max(0, size - _EOCD.size - 0xFFFF))  # the record, then a comment of up to 64 KB
    tail = handle.read()
    at = tail.rfind(_EOCD_MAGIC)
    if at >= 0 and len(tail) - at >= _EOCD.size and _EOCD.unpack_from(tail, at)[5] > DIRECTORY_BYTES:
        raise UnreadableFile(
            1,
            _(
                "the workbook has more parts than any office program writes; it is damaged or made to exhaust "
                "the server"
            ),
        )


def _part_types(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo]) -> dict[str, str]:
    """Each part's content type, as [Content_Types].xml gives it (by name, else by extension)."""
    from defusedxml.ElementTree import fromstring

    listing = archive.getinfo(CONTENT_TYPES)
    if listing.file_size > DIRECTORY_BYTES:
        raise _not_a_workbook("content types")
    root = fromstring(archive.read(listing))
    defaults, overrides = {}, {}
    for entry in root:
        if entry.tag.endswith("}Default"):
            defaults[entry.get("Extension", "").lower()] = entry.get("ContentType", "")
        elif entry.tag.endswith("}Override"):
            overrides[entry.get("PartName", "").lstrip("/")] = entry.get("ContentType", "")
    return {
        part.filename: overrides.get(part.filename, defaults.get(part.filename.rpartition(".")[2].lower(), ""))
        for part in parts
    }


def _check_parts(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], types: dict[str, str], limits: Limits) -> None:
    """Sheets are streamed, but the shared strings (every distinct text of the workbook) and the
    other XML parts are read whole: their size and count are limited, and none may declare entities."""
    sheets = sum(types[part.filename] == WORKSHEET for part in parts)
    if sheets > limits.sheets:
        raise UnreadableFile(
            1,
            _(
                "the workbook has %(count)s sheets, more than %(limit)s; keep the incidents on fewer sheets",
                count=format_decimal(sheets),
                limit=format_decimal(limits.sheets),
            ),
        )
    for part in parts:
        kind = types[part.filename]
        if not (part.filename.endswith((".xml", ".rels")) or kind.endswith("xml")):
            continue  # pictures and other binary parts: the reader leaves them packed
        with archive.open(part) as opened:
            head = opened.read(_PART_HEAD)
        if any(marker in head for marker in _DECLARATIONS):
            raise _declares_entities()
        if kind == SHARED_STRINGS:
            declared = _SST_COUNT.search(head)
            count = int(declared.group(1)) if declared else 0
            if part.file_size > limits.shared_strings_bytes or count > limits.shared_strings:
                raise UnreadableFile(
                    1,
                    _(
                        "the workbook's table of distinct texts is too large (%(count)s texts, %(size)s MB; at most "
                        "%(limit)s texts and %(limit_mb)s MB); split it into smaller workbooks",
                        count=format_decimal(count),
                        size=_megabytes(part.file_size),
                        limit=format_decimal(limits.shared_strings),
                        limit_mb=_megabytes(limits.shared_strings_bytes),
                    ),
                )
        elif kind != WORKSHEET and part.file_size > PART_BYTES:
            raise UnreadableFile(
                1,
                _(
                    "a part of the workbook other than its sheets unpacks to %(size)s MB, more than %(limit)s MB; "
                    "save it again from Excel or LibreOffice",
                    size=_megabytes(part.file_size),
                    limit=_megabytes(PART_BYTES),
                ),
            )


def _workbook_records(handle: IO) -> Records:
    """The first sheet's rows, then those of the following sheets with the same header (an
    export longer than a sheet goes on over several)."""
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    handle.seek(0)
    try:
        # formulas come as their text, never run; links to other workbooks are not followed
        book = load_workbook(handle, read_only=True, keep_links=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        # openpyxl wraps what defusedxml raises in a ValueError of its own
        if isinstance(exc, DefusedXmlException) or isinstance(exc.__cause__, DefusedXmlException):
            raise _declares_entities() from None
        raise _not_a_workbook(exc.__class__.__name__) from None
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
    except DefusedXmlException:
        raise _declares_entities() from None
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
