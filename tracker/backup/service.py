"""A backup holds every table of the models as stored, and the schema's Alembic revision, in
gzip'd JSON lines that SQLite and PostgreSQL both read back:

    {"format": "civic-space-tracker-backup", "version": 1, "alembic_revision": "0009", "created": "…",
     "tables": [{"name": "users", "columns": [["id", "plain"], ["created_at", "datetime"], …], "rows": 5}, …]}
    [the values of one row, in its table's column order]     one line per row, tables in header order
    {"end": "civic-space-tracker-backup", "rows": 1234}

Columns are read and written through their storage type, never through the models: an
encrypted column (a TypeDecorator) goes out as the ciphertext it holds, so a backup is useless
without the data key and safe without it. Dates and datetimes are ISO text, bytes (a region's
WKB geometry) base64, JSON columns JSON; the kind of every column is in the header.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import sqlite3
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.pool import NullPool

from ..errors import ServiceError
from ..extensions import db

FORMAT = "civic-space-tracker-backup"
VERSION = 1
BATCH = 1000

Progress = Callable[[str, int], None]

_ENCODE: dict[str, Callable[[Any], Any]] = {
    "bytes": lambda value: base64.b64encode(value).decode("ascii"),
    "datetime": datetime.isoformat,
    "date": date.isoformat,
}
_DECODE: dict[str, Callable[[Any], Any]] = {
    "bytes": lambda text: base64.b64decode(text, validate=True),
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
}


def _no_progress(table: str, rows: int) -> None:
    """The default: say nothing."""


def storage_type(type_: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    """The type of what the database holds: a TypeDecorator (an encrypted column) unwrapped to
    its `impl`, so its stored value is read and written untouched."""
    while isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.impl_instance
    return type_


def _kind(column: sa.Column[Any]) -> str:
    type_ = storage_type(column.type)
    if isinstance(type_, sa.JSON):
        return "json"
    if isinstance(type_, sa.LargeBinary):
        return "bytes"
    if isinstance(type_, sa.DateTime):
        return "datetime"
    if isinstance(type_, sa.Date):
        return "date"
    return "plain"


def _schema() -> list[dict[str, Any]]:
    """The tables in foreign-key order, with each column's name and kind."""
    return [
        {"name": table.name, "columns": [[column.name, _kind(column)] for column in table.columns]}
        for table in db.metadata.sorted_tables
    ]


def _line(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _code_head() -> str | None:
    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(config).get_current_head()


# --- backup ------------------------------------------------------------------------------------


@contextmanager
def _snapshot(workdir: Path) -> Iterator[sa.Connection]:
    """A connection that sees the database as it was at one instant while others write.
    SQLite: the online backup API copies it into a private file (0600, in a 0700 folder beside
    the output, removed afterwards) that is read instead. PostgreSQL: one serializable read-only
    deferrable transaction, which waits for a snapshot no concurrent write can disturb."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            conn = conn.execution_options(
                isolation_level="SERIALIZABLE", postgresql_readonly=True, postgresql_deferrable=True
            )
            with conn.begin():
                yield conn
        return
    with tempfile.TemporaryDirectory(dir=workdir, prefix=".tracker-snapshot-") as folder:
        copy = Path(folder) / "snapshot.db"
        os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        source = engine.raw_connection()
        try:
            target = sqlite3.connect(copy)
            try:
                source.driver_connection.backup(target)  # type: ignore[union-attr]
            finally:
                target.close()
        finally:
            source.close()
        snapshot = sa.create_engine(sa.URL.create("sqlite", database=str(copy)), poolclass=NullPool)
        try:
            with snapshot.connect() as conn:
                yield conn
        finally:
            snapshot.dispose()


def _select(table: sa.Table) -> sa.Select[Any]:
    columns = [sa.type_coerce(column, storage_type(column.type)).label(column.name) for column in table.columns]
    return sa.select(*columns).order_by(*table.primary_key.columns)


def _write(out: gzip.GzipFile, conn: sa.Connection, progress: Progress) -> int:
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        raise ServiceError(_("The database has no schema version: run `tracker init-db` first."))
    schema = _schema()
    tables = db.metadata.sorted_tables
    for entry, table in zip(schema, tables, strict=True):
        entry["rows"] = conn.scalar(sa.select(sa.func.count()).select_from(table))
    created = datetime.now(UTC).isoformat(timespec="seconds")
    out.write(
        _line(
            {"format": FORMAT, "version": VERSION, "alembic_revision": revision, "created": created, "tables": schema}
        )
    )
    for entry, table in zip(schema, tables, strict=True):
        encoders = [_ENCODE.get(kind) for _name, kind in entry["columns"]]
        written = 0
        for row in conn.execution_options(yield_per=BATCH).execute(_select(table)):
            out.write(_line([v if v is None or e is None else e(v) for e, v in zip(encoders, row, strict=True)]))
            written += 1
        if written != entry["rows"]:  # cannot happen on a snapshot; a file that lies would be worse
            raise ServiceError(
                _("The rows of %(table)s changed while they were read; nothing was written.", table=table.name)
            )
        progress(table.name, written)
    total = sum(entry["rows"] for entry in schema)
    out.write(_line({"end": FORMAT, "rows": total}))
    return total


def write_backup(path: Path, progress: Progress = _no_progress) -> int:
    """Write a consistent snapshot of the whole database to `path`, readable by its owner only
    (0600). It is written to a temporary name beside it and renamed when complete, so a failure
    leaves no half-written backup. Returns the number of rows."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw) as out, _snapshot(path.parent) as conn:
                total = _write(out, conn, progress)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return total


# --- restore -----------------------------------------------------------------------------------


@contextmanager
def _readable(path: Path) -> Iterator[None]:
    """Whatever goes wrong reading the file (not gzip, not JSON, a bad value, cut short) says so
    in words."""
    try:
        yield
    except (OSError, EOFError, ValueError, zlib.error, KeyError, TypeError, IndexError) as exc:
        raise ServiceError(
            _("%(file)s is not a tracker backup, or it is damaged or cut short.", file=path.name)
        ) from exc


def _header(path: Path, line: bytes) -> dict[str, Any]:
    """The header, refused unless it is a backup this code can load."""
    header = json.loads(line)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ServiceError(_("%(file)s is not a tracker backup.", file=path.name))
    version = header["version"]
    if not isinstance(version, int):
        raise TypeError(version)
    if version > VERSION:
        raise ServiceError(
            _(
                "%(file)s was written by a newer tracker (backup format %(version)s; this one reads format "
                "%(ours)s). Upgrade the tracker, then restore.",
                file=path.name,
                version=version,
                ours=VERSION,
            )
        )
    revision, head = header["alembic_revision"], _code_head()
    if revision != head:
        raise ServiceError(
            _(
                "%(file)s holds a database at schema revision %(revision)s, and this tracker's is %(head)s. "
                "Restore it with the tracker release that wrote it, then upgrade with `tracker init-db`.",
                file=path.name,
                revision=revision,
                head=head,
            )
        )
    tables = header["tables"]
    if [{"name": t["name"], "columns": t["columns"]} for t in tables] != _schema():
        raise ServiceError(_("The tables in %(file)s are not those of this tracker's schema.", file=path.name))
    if not all(isinstance(t["rows"], int) and t["rows"] >= 0 for t in tables):
        raise TypeError("rows")
    return header


def read_header(path: Path) -> dict[str, Any]:
    with _readable(path), gzip.open(path, "rb") as lines:
        return _header(path, lines.readline())


def _batches(path: Path) -> Iterator[tuple[sa.Table, list[dict[str, Any]], bool]]:
    """The file's rows as (table, batch, last batch of the table?), checked as they come: a file
    cut short, a row of the wrong length or a bad value raise ServiceError."""
    with _readable(path), gzip.open(path, "rb") as lines:
        header = _header(path, lines.readline())
        for entry in header["tables"]:
            table = db.metadata.tables[entry["name"]]
            names = [name for name, _kind in entry["columns"]]
            decoders = [_DECODE.get(kind) for _name, kind in entry["columns"]]
            batch: list[dict[str, Any]] = []
            for _row in range(entry["rows"]):
                values = json.loads(lines.readline())
                row = zip(names, decoders, values, strict=True)
                batch.append({name: v if v is None or d is None else d(v) for name, d, v in row})
                if len(batch) == BATCH:
                    yield table, batch, False
                    batch = []
            yield table, batch, True
        total = sum(entry["rows"] for entry in header["tables"])
        if json.loads(lines.readline()) != {"end": FORMAT, "rows": total} or lines.read(1):
            raise ValueError("no end line, or more after it")


def _prepare_target(revision: str) -> None:
    """Refuse a database that holds any row, or whose schema is at another revision; build the
    schema through the migrations in one that has no tables."""
    with db.engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        if not present & set(db.metadata.tables):
            current = None
        else:
            for table in db.metadata.sorted_tables:
                if table.name in present and conn.scalar(sa.select(sa.literal(1)).select_from(table).limit(1)):
                    raise ServiceError(
                        _(
                            "The database already holds data (table %(table)s): restore only into an empty database.",
                            table=table.name,
                        )
                    )
            current = MigrationContext.configure(conn).get_current_revision()
            if current != revision:
                raise ServiceError(
                    _(
                        "The database's schema is at revision %(current)s, the backup's at %(revision)s: restore "
                        "into a database with no tables, or one made by `tracker init-db` with this release.",
                        current=current or "unknown",
                        revision=revision,
                    )
                )
    if current is None:
        from flask_migrate import upgrade

        upgrade(directory=current_app.extensions["migrate"].directory)


def _insert(table: sa.Table) -> sa.Insert:
    return sa.insert(table).values(
        {column.name: sa.bindparam(column.name, type_=storage_type(column.type)) for column in table.columns}
    )


def _reset_sequences(conn: sa.Connection) -> None:
    """Rows restored with their ids leave PostgreSQL's sequences where they were: set each past
    its table's highest id, so the next incident, user or entry gets a fresh one."""
    for table in db.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        highest = sa.func.max(column)
        sequence = sa.func.pg_get_serial_sequence(table.name, column.name)
        conn.execute(sa.select(sa.func.setval(sequence, sa.func.coalesce(highest, 1), highest.is_not(None))))


def restore_backup(path: Path, progress: Progress = _no_progress) -> int:
    """Load a backup into an empty database of either engine, all rows in one transaction.
    The whole file is read and checked first, so a bad one leaves the database untouched.
    Returns the number of rows."""
    path = Path(path)
    for _checked in _batches(path):
        pass
    _prepare_target(read_header(path)["alembic_revision"])
    total = 0
    with db.engine.begin() as conn:
        rows = 0
        for table, batch, last in _batches(path):
            if batch:
                conn.execute(_insert(table), batch)
            rows += len(batch)
            if last:
                progress(table.name, rows)
                total, rows = total + rows, 0
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return total
