"""Restricted values encrypted at rest (docs/security.md, "Stolen laptop or database file").

A `Keyring` holds the data keys (AES-256-GCM). Each stored value names the key that encrypted
it, `v1:<key id>:<base64 of nonce + ciphertext>`, so `tracker rotate-key` can move every value
to a new key while the old one still decrypts. Keys come from TRACKER_DATA_KEY, one or more
`id:base64key` separated by commas, the first being the current one; else from files in
instance/keys/ (`<n>.key`, the highest n current), the first made at first start. The empty
string stays empty: it says only that a field was left blank.

The search index key (tracker/search_index.py) is derived from the current data key, so a
rotation rebuilds the index too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app

PREFIX = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_FILE = re.compile(r"^(\d+)\.key$")


class DataKeyError(Exception):
    """A key is missing or malformed: said in plain words, since stored data is at stake."""


class Keyring:
    """Data keys by id, newest (current) first."""

    def __init__(self, keys: list[tuple[str, bytes]]):
        if not keys:
            raise DataKeyError("No data key.")
        self.keys = dict(keys)
        self.current_id = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    def encrypt(self, text: str) -> str:
        if text == "":
            return ""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current_id].encrypt(nonce, text.encode(), None)
        return f"{PREFIX}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str) -> str:
        if stored == "":
            return ""
        prefix, key_id, body = (stored.split(":", 2) + ["", ""])[:3]
        if prefix != PREFIX or not body:
            raise DataKeyError("A restricted value is stored without encryption; run `tracker init-db`.")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DataKeyError(
                f"A value is encrypted with data key '{key_id}', which this tracker does not have "
                "(TRACKER_DATA_KEY or instance/keys/): restore that key to read it."
            )
        raw = base64.b64decode(body)
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()

    def index_key(self) -> bytes:
        """The key of the blind search index, derived from the current data key."""
        return hmac.new(self.keys[self.current_id], b"tracker search index", hashlib.sha256).digest()


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key_id: str, key: bytes) -> str:
    """One entry of TRACKER_DATA_KEY."""
    return f"{key_id}:{base64.b64encode(key).decode()}"


def parse_keys(value: str) -> list[tuple[str, bytes]]:
    """TRACKER_DATA_KEY: `id:base64key[,id:base64key…]`, current first."""
    keys = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        key_id, _, encoded = entry.partition(":")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            key = b""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", key_id) or len(key) != KEY_BYTES:
            raise DataKeyError(
                "TRACKER_DATA_KEY must be one or more 'id:key' separated by commas, each id letters or "
                "digits and each key 32 bytes in base64 (`tracker rotate-key` prints one)."
            )
        keys.append((key_id, key))
    return keys


def keys_dir(app: Flask) -> Path:
    return Path(app.instance_path) / "keys"


def _file_keys(folder: Path) -> list[tuple[str, bytes]]:
    """The key files, newest (highest number) first."""
    if not folder.is_dir():
        return []
    found = sorted(
        ((int(m.group(1)), path) for path in folder.iterdir() if (m := _KEY_FILE.match(path.name))), reverse=True
    )
    return [(str(n), base64.b64decode(path.read_text().strip())) for n, path in found]


def write_key_file(folder: Path) -> tuple[str, bytes]:
    """A new key in a new file (0600, in a 0700 folder), numbered after the others: the current key."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    existing = _file_keys(folder)
    key_id, key = str(int(existing[0][0]) + 1 if existing else 1), new_key()
    fd = os.open(folder / f"{key_id}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
    return key_id, key


def init_keyring(app: Flask, has_encrypted_data) -> None:
    """Load the keyring onto the app. A first key is made only for a database that holds no
    encrypted values yet (`has_encrypted_data()`), so a lost key folder stops the start-up
    instead of silently starting a new key that reads nothing."""
    env = os.environ.get("TRACKER_DATA_KEY", "")
    keys = parse_keys(env) if env.strip() else _file_keys(keys_dir(app))
    if not keys:
        if has_encrypted_data():
            raise DataKeyError(
                f"The database holds encrypted data but no data key was found (TRACKER_DATA_KEY or "
                f"{keys_dir(app)}). Restore the key; without it the restricted fields cannot be read."
            )
        keys = [write_key_file(keys_dir(app))]
    app.extensions["tracker_keyring"] = Keyring(keys)


def has_encrypted_data(engine: sa.Engine) -> bool:
    """Whether the database may hold values encrypted by this module: its schema has the search
    index (revision 0011 on) and an incident, or an account's second factor, is stored. Small
    queries at start-up."""
    if not sa.inspect(engine).has_table("search_terms"):
        return False
    with engine.connect() as conn:
        return any(
            conn.execute(sa.text(query)).first() is not None
            for query in (
                "SELECT 1 FROM incidents LIMIT 1",
                "SELECT 1 FROM users WHERE totp_secret IS NOT NULL LIMIT 1",
            )
        )


def keyring() -> Keyring:
    return current_app.extensions["tracker_keyring"]


class EncryptedText(sa.types.TypeDecorator):
    """Text stored encrypted; Text underneath, since ciphertext is longer than the value
    (lengths are checked by the forms and the importer)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else keyring().decrypt(value)


class EncryptedJSON(sa.types.TypeDecorator):
    """A JSON value stored encrypted as a whole (history snapshots, import previews)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else keyring().encrypt(json.dumps(value, ensure_ascii=False))

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(keyring().decrypt(value))
