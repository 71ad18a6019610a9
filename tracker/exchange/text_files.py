"""Import files that are text: CSV in UTF-8 (with or without a byte-order mark), UTF-16 with a
byte-order mark, or Windows-1252 when it reads as such; comma-, semicolon- (Excel in Spanish
locales) or tab-separated. Any other encoding is refused, by its likely name, rather than
stored garbled; rows are read as a stream, each row's length bounded."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from flask_babel import format_decimal
from flask_babel import gettext as _

from .table import Limits, Records, Table, UnreadableFile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 20

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


def text_table(name: str, handle: IO, limits: Limits) -> Table:
    """The file as a table of text rows, or an UnreadableFile saying why it cannot be read."""
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
