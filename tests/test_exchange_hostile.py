"""Files that must not hurt: workbooks that unpack to gigabytes, declare XML entities or hold
too many sheets or texts; CSV past the size, row and cell limits; control characters; text in
UTF-16 or Windows-1252 read right, and Shift-JIS and the like refused rather than stored
garbled; rows repeated within a file; a file with a header alone. Every bad file is built by
the test; each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import secrets
import time
import zipfile
from collections.abc import Iterable

import openpyxl
import pytest
import sqlalchemy as sa

from tests.support import count, line, write
from tests.test_exchange_import_web import upload, wait_for
from tracker.exchange.formats.csv_format import COLUMNS
from tracker.exchange.importer import check_file, import_file
from tracker.exchange.workbooks import SHARED_STRINGS
from tracker.extensions import db
from tracker.models import Incident

HEADER = ",".join(COLUMNS)
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRINGS_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
SHEET = "xl/worksheets/sheet1.xml"
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = b"</sheetData></worksheet>"
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10))
    + b"]>"
)


def messages(result) -> list[str]:
    return [str(p) for p in result.errors]


def workbook(path, rows: Iterable[list], sheets: int = 1):
    """A workbook as Excel writes it (texts in the shared strings table), the canonical header on each sheet."""
    book = openpyxl.Workbook()
    book.active.append(list(COLUMNS))
    for number in range(2, sheets + 1):
        book.create_sheet(f"Hoja {number}").append(list(COLUMNS))
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def cells(**values) -> list:
    return [values.get(name) for name in COLUMNS]


def with_part(path, name: str, chunks: Iterable[bytes]):
    """The workbook at `path` with its part `name` replaced by `chunks`, written as they come."""
    source = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename != name:
                new.writestr(item, old.read(item))
        with new.open(name, "w", force_zip64=True) as part:
            for chunk in chunks:
                part.write(chunk)
    return path


@pytest.fixture
def unread(monkeypatch):
    """The reader of workbooks, made to fail: a refused workbook is refused before it is read."""

    def load_workbook(*args, **kwargs):
        raise AssertionError("the workbook was read")

    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)


# --- workbooks ----------------------------------------------------------------------------------


def bomb(path, megabytes: int):
    """A sheet of one cell holding `megabytes` MB of one letter: a thousandth of that packed."""
    block = b"A" * (1 << 20)
    sheet = [SHEET_START, b'<row r="1"><c r="A1" t="inlineStr"><is><t>', *([block] * megabytes)]
    return with_part(workbook(path, []), SHEET, [*sheet, b"</t></is></c></row>", SHEET_END])


def test_a_workbook_that_unpacks_a_thousand_times_its_size_is_refused_before_reading(app, tmp_path, unread):
    path = bomb(tmp_path / "bomba.xlsx", 64)
    assert path.stat().st_size < 1 << 20
    started = time.perf_counter()
    result = import_file(path)
    assert time.perf_counter() - started < 2
    assert len(result.errors) == 1
    assert messages(result)[0].startswith("line 1: a part of the workbook unpacks to 1,0")
    assert messages(result)[0].endswith(
        " times its size (100 at most): the file is damaged or made to exhaust the server, and is not read"
    )
    assert (result.readable, result.stored, count()) == (False, 0, 0)


def test_a_workbook_past_the_unpacked_size_limit_is_refused_before_reading(app, tmp_path, unread):
    app.config["IMPORT_MAX_UNPACKED_MB"] = 1
    rows = [cells(title=f"Protesta {n}", description=secrets.token_hex(400), date="2024-01-01") for n in range(1500)]
    result = import_file(workbook(tmp_path / "grande.xlsx", rows))
    assert messages(result) == [
        "line 1: the workbook unpacks to 2 MB, more than the 1 MB an import may read; split it into smaller workbooks"
    ]


@pytest.mark.parametrize("padding", [0, 8000], ids=["declared first", "after a long comment"])
def test_a_workbook_declaring_xml_entities_is_refused_with_a_clear_message(app, tmp_path, padding):
    """The head of every part is looked at; past it, openpyxl parses with defusedxml."""
    assert openpyxl.DEFUSEDXML
    prolog = LAUGHS.replace(b"<!DOCTYPE", b"<!--" + b" " * padding + b"--><!DOCTYPE")
    laughs = b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    path = with_part(workbook(tmp_path / "risas.xlsx", []), SHEET, [prolog, SHEET_START[38:], laughs, SHEET_END])
    result = import_file(path)
    assert messages(result) == [
        "line 1: the workbook declares XML entities, which Excel never writes and which can make a small file expand "
        "without end; save it again from Excel or LibreOffice"
    ]
    assert count() == 0


def test_a_workbook_of_thousands_of_parts_is_refused_before_its_list_of_parts_is_read(app, tmp_path, unread):
    path = workbook(tmp_path / "partes.xlsx", [])
    with zipfile.ZipFile(path, "a") as book:
        for number in range(6000):
            book.writestr(f"xl/media/{number:0200d}.bin", b"")
    assert messages(import_file(path)) == [
        "line 1: the workbook has more parts than any office program writes; it is damaged or made to exhaust the "
        "server"
    ]


def test_a_workbook_with_too_many_sheets_is_refused(app, tmp_path, unread):
    app.config["IMPORT_MAX_SHEETS"] = 3
    result = import_file(workbook(tmp_path / "hojas.xlsx", [], sheets=4))
    assert messages(result) == ["line 1: the workbook has 4 sheets, more than 3; keep the incidents on fewer sheets"]


def with_shared_strings(path, texts: list[str]):
    """The workbook with a table of shared strings, as Excel writes it (openpyxl writes its texts inline)."""
    table = "".join(f"<si><t>{text}</t></si>" for text in texts).encode()
    with zipfile.ZipFile(path) as book:
        types = book.read("[Content_Types].xml")
        links = book.read("xl/_rels/workbook.xml.rels")
    shared = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/></Types>' % SHARED_STRINGS.encode()
    link = b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="%s"/></Relationships>' % STRINGS_REL
    with_part(path, "[Content_Types].xml", [types.replace(b"</Types>", shared)])
    with_part(path, "xl/_rels/workbook.xml.rels", [links.replace(b"</Relationships>", link)])
    count = b'count="%d" uniqueCount="%d"' % (len(texts), len(texts))
    return with_part(path, "xl/sharedStrings.xml", [b'<sst xmlns="%s" %s>' % (MAIN_NS, count), table, b"</sst>"])


@pytest.mark.parametrize(
    "limit, value, texts, expected",
    [
        ("IMPORT_MAX_SHARED_STRINGS", 100, 101, "(101 texts, 1 MB; at most 100 texts and 100 MB)"),
        ("IMPORT_MAX_SHARED_STRINGS_MB", 1, 1000, "(1,000 texts, 2 MB; at most 1,000,000 texts and 1 MB)"),
    ],
)
def test_a_workbook_with_too_many_distinct_texts_is_refused(app, tmp_path, unread, limit, value, texts, expected):
    app.config[limit] = value
    path = with_shared_strings(workbook(tmp_path / "textos.xlsx", []), [secrets.token_hex(600) for _ in range(texts)])
    result = import_file(path)
    assert messages(result) == [
        f"line 1: the workbook's table of distinct texts is too large {expected}; split it into smaller workbooks"
    ]


def test_a_bomb_uploaded_on_the_web_page_is_refused_on_the_job_page(client, auth, tmp_path, unread):
    auth.login("reviewer")
    path = bomb(tmp_path / "bomba.xlsx", 32)
    job_id = upload(client, {"file": (io.BytesIO(path.read_bytes()), "bomba.xlsx"), "format": ""})
    assert wait_for(client, job_id)["status"] == "checked"
    page = client.get(f"/import/{job_id}").text
    assert "times its size (100 at most): the file is damaged or made to exhaust the server" in page
    assert "The file cannot be imported" in page
    assert 'id="confirm-form"' not in page


# --- CSV: limits --------------------------------------------------------------------------------


def test_a_csv_file_past_the_size_limit_is_refused_unread(app, tmp_path):
    app.config["IMPORT_MAX_FILE_MB"] = 1
    path = write(
        tmp_path, *[line(title=f"Protesta {n}", date="2024-01-01", description="x" * 200) for n in range(5000)]
    )
    result = import_file(path)
    assert messages(result) == [
        "line 1: the file is 2 MB, more than the 1 MB an import may read; split it into smaller files"
    ]
    assert (result.rows, count()) == (0, 0)


def test_a_csv_file_past_the_row_limit_is_refused(app, tmp_path):
    app.config["IMPORT_MAX_ROWS"] = 3
    rows = [line(title=f"Protesta {n}", date="2024-01-01") for n in range(3)]
    assert import_file(write(tmp_path, *rows)).created == 3
    result = import_file(write(tmp_path, *rows, "", line(title="Otra", date="2024-01-01")), skip_invalid=True)
    assert messages(result) == ["line 5: the file has more than 3 rows; split it into smaller files"]
    assert (result.readable, result.stored, count()) == (False, 0, 3)


def test_cells_and_rows_past_the_length_limits_are_named(app, tmp_path):
    app.config["IMPORT_MAX_CELL_CHARS"] = 50
    long_cell = line(title="Protesta", date="2024-01-01", description="x" * 51)
    result = import_file(write(tmp_path, long_cell, line(title="Corta", date="2024-01-02")), skip_invalid=True)
    assert messages(result) == ["line 2, column description: longer than 50 characters"]
    assert db.session.scalars(sa.select(Incident.title)).all() == ["Corta"]

    one_line = write(tmp_path, "x" * 6000, name="sin-saltos.csv")
    assert messages(import_file(one_line)) == [
        "line 2: a row is longer than 5,000 characters, more than a row of incidents holds; "
        "check that the file is a CSV file"
    ]


def test_a_cell_longer_than_the_csv_module_reads_by_default_is_named_with_its_column(app, tmp_path):
    """Python's csv module refuses cells over 131,072 characters, unless a library lifted that for
    the whole process (reverse_geocoder does): the importer's limit is the same either way."""
    result = import_file(write(tmp_path, line(title="Protesta", date="2024-01-01", description="x" * 140_000)))
    assert messages(result) == ["line 2, column description: longer than 32767 characters"]


# --- CSV: characters and encodings --------------------------------------------------------------


def test_control_characters_are_refused_with_line_and_column_and_never_stored(app, tmp_path):
    kept = "Ñuñoa — ¿qué pasó? «sí» 😀 Qhapaq Ñan\tcon tabulador"
    path = write(
        tmp_path,
        line(title="Con NUL\x00", date="2024-01-01"),
        line(title="Campana", date="2024-01-01", description="antes\x07después"),
        line(title="Borrado", date="2024-01-01", place="Li\x7fma"),
        line(title="C1", date="2024-01-01", admin1="Cusco\x85"),
        line(title=kept, date="2024-01-01", description="dos\r\nlíneas"),
    )
    result = import_file(path, skip_invalid=True)
    assert messages(result) == [
        "line 2, column title: holds a control character (U+0000) at character 8, which text cannot hold; delete it",
        "line 3, column description: holds a control character (U+0007) at character 6, which text cannot hold; "
        "delete it",
        "line 4, column place: holds a control character (U+007F) at character 3, which text cannot hold; delete it",
        "line 5, column admin1: holds a control character (U+0085) at character 6, which text cannot hold; delete it",
    ]
    assert (result.created, result.skipped) == (1, 4)
    stored = db.session.scalar(sa.select(Incident))
    assert (stored.title, stored.description) == (kept, "dos\r\nlíneas")


def test_a_control_character_in_the_header_is_refused(app, tmp_path):
    header = HEADER.replace(",date,", ",da\x00te,")
    result = import_file(write(tmp_path, line(title="Uno", date="2024-01-01"), header=header))
    assert messages(result) == [
        f"line 1, column #{COLUMNS.index('date') + 1}: holds a control character (U+0000) at character 3, "
        "which text cannot hold; delete it"
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom", "utf-8-sig"])
def test_unicode_with_a_byte_order_mark_is_read(app, tmp_path, encoding):
    title = "Niñas y señoras — ¿qué pasó en Ñuñoa? 😀"
    text = f"{HEADER}\r\n{line(title=title, date='2024-01-01', place='Cañete')}\r\n"
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    path = tmp_path / "unicode.csv"
    path.write_bytes(data)
    result = import_file(path)
    assert (result.errors, result.created, result.encoding) == ([], 1, "")
    assert db.session.execute(sa.select(Incident.title, Incident.place)).one() == (title, "Cañete")


def test_windows_1252_spanish_is_read_with_its_accents(app, tmp_path):
    title = "¿Quién atacó al niño? ¡Protesta en Lima–Callao! “Basta” — 20 €, 1º de mayo"
    path = write(tmp_path, line(title=title, date="2024-05-01", place="Cañete"), name="excel.csv", encoding="cp1252")
    result = import_file(path)
    assert (result.errors, result.created, result.encoding) == ([], 1, "cp1252")
    assert db.session.execute(sa.select(Incident.title, Incident.place)).one() == (title, "Cañete")


@pytest.mark.parametrize(
    "text, encoding, message",
    [
        (
            "抗議デモで記者が襲撃された\n警察が抗議者を拘束した\n人権擁護者への脅迫",
            "shift_jis",
            "line 2: the text is neither UTF-8 nor Windows-1252 (it looks like Shift-JIS); "
            "save the file as 'CSV UTF-8' and import it again",
        ),
        (
            "Ataque en Cañete, niño herido",
            "mac_roman",
            "line 2: the text is neither UTF-8 nor Windows-1252; save the file as 'CSV UTF-8' and import it again",
        ),
        (
            "Mitin,2024-01-01",
            "utf-16-le",
            "line 1: the file is UTF-16 text without a byte-order mark; save it as 'CSV UTF-8'",
        ),
    ],
    ids=["Shift-JIS", "Mac Roman", "UTF-16 without a mark"],
)
def test_text_in_another_encoding_is_refused_not_stored_garbled(app, tmp_path, text, encoding, message):
    rows = [line(title=title, date="2024-01-01") for title in text.split("\n")]
    result = import_file(write(tmp_path, *rows, encoding=encoding), skip_invalid=True)
    assert messages(result) == [message]
    assert count() == 0


def test_utf8_with_a_line_in_another_encoding_names_that_line(app, tmp_path):
    path = write(tmp_path, line(title="Año nuevo", date="2024-01-01"), line(title="Niño", date="2024-01-02"))
    path.write_bytes(path.read_bytes() + line(title="Señor", date="2024-01-03").encode("cp1252") + b"\n")
    assert messages(import_file(path)) == [
        "line 4: the file is UTF-8 up to this line, where some characters are in another encoding (as when text "
        "from two files is put together); correct the accents on this line and save the file as 'CSV UTF-8'"
    ]


# --- rows ---------------------------------------------------------------------------------------


def test_a_row_identical_to_an_earlier_one_is_not_imported_again(app, runner, tmp_path):
    first = line(title="Marcha en Puno", date="2024-02-01", violations="protest_dispersal")
    other = line(title="Marcha en Cusco", date="2024-02-01", violations="protest_dispersal")
    path = write(tmp_path, first, other, first, first)
    checked = check_file(path)
    assert [str(p) for p in checked.warnings if "the same as" in str(p)] == [
        "line 4: the same as line 2: it is not imported again",
        "line 5: the same as line 2: it is not imported again",
    ]
    assert [(row.line, row.action, row.match) for row in checked.sample] == [
        (2, "new", ""),
        (3, "new", ""),
        (4, "repeat", "2"),
        (5, "repeat", "2"),
    ]
    output = runner.invoke(args=["import", str(path)]).output
    assert "warning: line 4: the same as line 2: it is not imported again" in output
    assert "2 new, 0 updated, 2 unchanged" in output
    assert sorted(db.session.scalars(sa.select(Incident.title))) == ["Marcha en Cusco", "Marcha en Puno"]
    again = import_file(path)
    assert (again.created, again.already, count()) == (0, 4, 2)


def test_a_file_with_a_header_alone_says_so(app, runner, client, auth, tmp_path):
    path = write(tmp_path, "", ",,,")
    result = import_file(path)
    assert (messages(result), result.readable) == (["line 1: the file has a header but no rows"], False)
    output = runner.invoke(args=["import", str(path)]).output
    assert "line 1: the file has a header but no rows" in output and "nothing was stored" in output

    auth.login("reviewer")
    job_id = upload(client, {"file": (io.BytesIO(path.read_bytes()), "vacio.csv"), "format": ""})
    wait_for(client, job_id)
    page = client.get(f"/import/{job_id}").text
    assert "the file has a header but no rows" in page and "rows with errors" not in page
