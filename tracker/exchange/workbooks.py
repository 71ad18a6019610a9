"""Import files that are XLSX workbooks, read as a stream by openpyxl (formulas come as their
text, never run) after their zip directory has been checked against the limits: what they
unpack to (as declared; Python's zipfile never unpacks more), the packing ratio of each part,
their sheets and their table of texts, and no XML entity declarations (defusedxml guards the
parser too)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from datetime import date, datetime, time
from typing import IO

from flask_babel import format_decimal
from flask_babel import gettext as _

from .table import MB, Limits, Records, Table, UnreadableFile, megabytes

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


def workbook_table(name: str, handle: IO, limits: Limits) -> Table:
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
                        size=megabytes(unpacked),
                        limit=megabytes(limits.unpacked_bytes),
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
                        size=megabytes(part.file_size),
                        limit=format_decimal(limits.shared_strings),
                        limit_mb=megabytes(limits.shared_strings_bytes),
                    ),
                )
        elif kind != WORKSHEET and part.file_size > PART_BYTES:
            raise UnreadableFile(
                1,
                _(
                    "a part of the workbook other than its sheets unpacks to %(size)s MB, more than %(limit)s MB; "
                    "save it again from Excel or LibreOffice",
                    size=megabytes(part.file_size),
                    limit=megabytes(PART_BYTES),
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
