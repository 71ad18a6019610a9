"""Settings for every SQLite connection. The embedded database serves the same pages as
PostgreSQL, so it gets what a server has by default: reads through a memory map and a
page cache of tens of megabytes instead of 2 MB (a report reads a quarter of a million
incidents through an index at a million rows; the default cache turns that into a system
call per page), and a write-ahead log, so pages stay readable while a background import
writes. `synchronous` stays FULL: a saved draft must survive a power cut."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

MEMORY_MAP_BYTES = 2**30
PRAGMAS = ("journal_mode=WAL", "cache_size=-32768", f"mmap_size={MEMORY_MAP_BYTES}")


@event.listens_for(Engine, "connect")
def _configure(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


def refresh_statistics(session) -> None:
    """After a bulk write: SQLite keeps no planner statistics unless told (PostgreSQL's
    autovacuum gathers its own), and without them it may walk a region index row by row where
    a scan is faster. Sampling (`analysis_limit`) keeps this to milliseconds at any size."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA analysis_limit=1000"))
        session.execute(text("ANALYZE"))
        session.commit()


@contextmanager
def unmapped(session) -> Iterator[None]:
    """Reads through the page cache instead of the memory map while inside. For work that
    reads the whole file once, such as a full export: every mapped page it touches stays
    resident in this process until the map goes, so a full export would hold the whole
    file in its resident size, where read() keeps only the page cache (figures: bench/README.md)."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    session.execute(text("PRAGMA mmap_size=0"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA mmap_size={MEMORY_MAP_BYTES}"))
