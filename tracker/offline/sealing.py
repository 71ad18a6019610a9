"""The outbox key pair, and opening what phones sealed with it.

A phone seals each record it cannot send (static/js/offline/seal.js) with a fresh AES-256-GCM
key, and wraps that key with this server's RSA-OAEP (SHA-256) public key, as ODK's encrypted
forms do. The private key lives only in `instance/keys/outbox-rsa.pem` (0600): a phone, or a
copy of its storage, holds nothing it can open. The record's UUID is the GCM associated data,
so a sealed body cannot be passed off under another record's UUID.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_babel import gettext as _

from ..crypto import keys_dir

KEY_FILE = "outbox-rsa.pem"
KEY_BITS = 3072
ENVELOPE_VERSION = 1
MAX_SEALED_CHARS = 512 * 1024  # base64 of one record; a form's fields are a few kilobytes
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class Unsealable(Exception):
    """The envelope cannot be opened; the message says why, in words for the monitor."""


def _b64url(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _load_or_create(folder: Path) -> rsa.RSAPrivateKey:
    """The key in `folder`, made at first use. Two workers starting at once: the file is created
    exclusively, and the one that loses the race reads the winner's key."""
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise RuntimeError(f"{path} does not hold an RSA private key")
    return loaded


def private_key() -> rsa.RSAPrivateKey:
    extensions = current_app.extensions
    if "tracker_outbox_key" not in extensions:
        extensions["tracker_outbox_key"] = _load_or_create(keys_dir(current_app))
    return extensions["tracker_outbox_key"]


def key_id(public: rsa.RSAPublicKey) -> str:
    """A short fingerprint of the public key: an envelope names the key that sealed it."""
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def public_jwk() -> dict[str, Any]:
    """The public key as a JWK, for WebCrypto's importKey on the phone."""
    public = private_key().public_key()
    numbers = public.public_numbers()
    return {
        "kty": "RSA",
        "alg": "RSA-OAEP-256",
        "n": _b64url(numbers.n),
        "e": _b64url(numbers.e),
        "kid": key_id(public),
        "ext": True,
        "key_ops": ["wrapKey", "encrypt"],
    }


def _bytes(envelope: dict[str, Any], name: str) -> bytes:
    value = envelope.get(name)
    if not isinstance(value, str) or len(value) > MAX_SEALED_CHARS:
        raise Unsealable(_("The sealed record has no valid %(part)s.", part=name))
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unsealable(_("The sealed record's %(part)s is damaged.", part=name)) from exc


def unseal(envelope: dict[str, Any], client_uuid: str) -> Any:
    """The JSON value sealed in `envelope` for the record `client_uuid`."""
    if envelope.get("v") != ENVELOPE_VERSION:
        raise Unsealable(_("The record was sealed in a format this server does not read."))
    key = private_key()
    if envelope.get("kid") != key_id(key.public_key()):
        raise Unsealable(
            _("The record was sealed with a key this server no longer has: ask the operator to restore it.")
        )
    wrapped, iv, data = _bytes(envelope, "key"), _bytes(envelope, "iv"), _bytes(envelope, "data")
    try:
        content_key = key.decrypt(wrapped, OAEP)
        plain = AESGCM(content_key).decrypt(iv, data, client_uuid.encode())
    except (ValueError, InvalidTag) as exc:
        raise Unsealable(_("The record could not be unsealed: it was damaged or altered.")) from exc
    try:
        return json.loads(plain)
    except ValueError as exc:
        raise Unsealable(_("The unsealed record is not readable.")) from exc
