"""`tracker rotate-key`: every encrypted value moved to a new data key, and the search index
rebuilt under it, in one transaction (docs/operations.md, "The data key").

With instance/keys/ the new key file is written first and becomes the current key; the old
files stay, so values not yet moved (or a backup made before) still decrypt. With
TRACKER_DATA_KEY the new key is printed before anything changes: the operator puts it first in
TRACKER_DATA_KEY before restarting the tracker.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from . import audit, search_index
from .crypto import EncryptedJSON, EncryptedText, Keyring, encode_key, keyring, keys_dir, new_key, write_key_file
from .extensions import db

Progress = Callable[[str, int], None]


def encrypted_columns() -> list[tuple[sa.Table, list[sa.Column]]]:
    """Every table with encrypted columns, and those columns."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)]
        if columns:
            found.append((table, columns))
    return found


def reencrypt_all(progress: Progress) -> int:
    """Read every encrypted value (with whichever key it names) and write it under the current
    key, then rebuild the search index; in the caller's transaction. Returns the rows rewritten."""
    total = 0
    for table, columns in encrypted_columns():
        rows = db.session.execute(sa.select(table.c.id, *columns)).all()
        update = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("_id"))
            .values({c.name: sa.bindparam(f"_{c.name}", type_=c.type) for c in columns})
        )
        batch = [
            {"_id": row[0], **{f"_{c.name}": value for c, value in zip(columns, row[1:], strict=True)}} for row in rows
        ]
        for start in range(0, len(batch), 2000):
            db.session.execute(update, batch[start : start + 2000], execution_options={"synchronize_session": False})
        progress(table.name, len(batch))
        total += len(batch)
    progress("search_terms", search_index.rebuild())
    return total


def rotate(key_id: str, key: bytes, progress: Progress) -> None:
    """Make `key` the current key and move everything to it, in one transaction; on failure
    the keyring is as it was and nothing changed."""
    ring = keyring()
    current_app.extensions["tracker_keyring"] = Keyring([(key_id, key), *ring.keys.items()])
    try:
        reencrypt_all(progress)
        audit.record("data_key_rotated", key_id, actor="cli")
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.extensions["tracker_keyring"] = ring
        raise


def _next_id(ring: Keyring) -> str:
    numbers = [int(k[1:]) for k in ring.keys if k[:1] == "k" and k[1:].isdigit()]
    return f"k{max(numbers, default=0) + 1}"


@click.command("rotate-key")
@with_appcontext
def rotate_key_command():
    """Make a new data key and re-encrypt every restricted value under it (one transaction)."""
    ring = keyring()
    if os.environ.get("TRACKER_DATA_KEY", "").strip():
        key_id, key = _next_id(ring), new_key()
        click.echo("TRACKER_DATA_KEY is set. Stop the tracker's other processes; when this command says it is")
        click.echo("done, set TRACKER_DATA_KEY to this value (the new key first) before starting them again:")
        click.echo(",".join([encode_key(key_id, key), *(encode_key(k, v) for k, v in ring.keys.items())]))
    else:
        key_id, key = write_key_file(keys_dir(current_app))
        click.echo(f"New data key {key_id} in {keys_dir(current_app)}; the older key files still decrypt old backups.")
    rotate(key_id, key, lambda name, count: click.echo(f"  {name}: {count} rows"))
    click.echo("Done: every encrypted value is under the new key, and the search index is rebuilt.")
