"""Timestamps are stored as naive UTC on every database, so SQLite and PostgreSQL agree."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
