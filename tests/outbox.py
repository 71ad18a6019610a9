"""Records sealed as a phone's outbox seals them (static/js/offline/seal.js), for the tests
and the benchmark of the sync endpoint: AES-256-GCM with a fresh key, the key wrapped with the
server's RSA-OAEP public key (from its JWK), the record's UUID as associated data."""

from __future__ import annotations

import base64
import json
import os
import uuid as uuids

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.factories import form_fields, incident_data
from tracker.incidents.data import IncidentData
from tracker.offline.sealing import OAEP

SYNC_HEADERS = {"X-Tracker-Sync": "1", "Origin": "http://localhost"}


def _number(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def seal(content: object, client_uuid: str, jwk: dict) -> dict:
    public = rsa.RSAPublicNumbers(_number(jwk["e"]), _number(jwk["n"])).public_key()
    key, iv = AESGCM.generate_key(bit_length=256), os.urandom(12)
    data = AESGCM(key).encrypt(iv, json.dumps(content).encode(), client_uuid.encode())
    return {
        "v": 1,
        "kid": jwk["kid"],
        "uuid": client_uuid,
        "key": base64.b64encode(public.encrypt(key, OAEP)).decode(),
        "iv": base64.b64encode(iv).decode(),
        "data": base64.b64encode(data).decode(),
    }


def pairs(data: IncidentData | None = None, **extra: str) -> list[list[str]]:
    """The [name, value] pairs a phone keeps of the incident form filled with `data`."""
    found = []
    for name, value in form_fields(data or incident_data(), **extra).items():
        found += [[name, item] for item in value] if isinstance(value, list) else [[name, value]]
    return found


def sealed_record(jwk: dict, owner: int, data: IncidentData | None = None, **extra: str) -> dict:
    """A new record (fresh UUID) of the incident form filled with `data`, as `owner` sealed it."""
    return seal({"owner": owner, "fields": pairs(data, **extra)}, str(uuids.uuid4()), jwk)
