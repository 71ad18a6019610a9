"""The blind index that lets the text search find encrypted fields without decrypting a row:
for every word of those fields, an HMAC-SHA256 digest (keyed from the keyring, truncated to
16 bytes) under a scope saying who may find the incident by it:

- `source`: titles of sources that are not confidential (everyone who sees the incident);
- `place`: the exact place text (those who see the exact location);
- `identity`: victim names and organisations, the keys of the persons victim rows name,
  perpetrator names, confidential source titles (those who see identities).

Words are the value casefolded, without accents, split on anything not a letter or digit, so
a search matches whole words. Every write path calls `index_incidents` (the incident service,
the importer's bulk inserts) and `tracker rotate-key` calls `rebuild`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import sqlalchemy as sa

from .crypto import keyring
from .extensions import db
from .models import Incident, Perpetrator, Person, SearchTerm, Source, Victim

SCOPES = ("source", "place", "identity")


class IndexedIncident(Protocol):
    """What the index reads of an incident (an IndexedIncident): a Protocol, as the incident
    package, which calls this module, may not be imported back here."""

    @property
    def place(self) -> str: ...
    @property
    def victims(self) -> Sequence[Any]: ...
    @property
    def perpetrators(self) -> Sequence[Any]: ...
    @property
    def sources(self) -> Sequence[Any]: ...


_SPLIT = re.compile(r"[\W_]+")
_BATCH = 5000


def plain_words(text: str) -> list[str]:
    """The words of `text` in order, casefolded and without accents, split on anything not a
    letter or digit (the form's name warning matches phrases of them too: incidents/exposure.py)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return [w for w in _SPLIT.split(plain) if w]


def words(text: str) -> list[str]:
    """The normalised words of `text`, each once."""
    return list(dict.fromkeys(plain_words(text)))


def digests(text: str, key: bytes | None = None) -> list[str]:
    key = key or keyring().index_key()
    return [hmac.new(key, w.encode(), hashlib.sha256).hexdigest()[:32] for w in words(text)]


def texts_of(data: IndexedIncident) -> Iterator[tuple[str, str]]:
    """(scope, text) of an incident's indexed fields."""
    yield "place", data.place
    for v in data.victims:
        yield "identity", v.name
        yield "identity", v.organisation
        yield "identity", v.person
    for p in data.perpetrators:
        yield "identity", p.name
    for s in data.sources:
        yield ("identity" if s.confidential else "source"), s.title


def _rows(items: Iterable[tuple[int, str, str]], key: bytes) -> Iterator[dict]:
    seen: set[tuple[int, str, str]] = set()
    for incident_id, scope, text in items:
        for digest in digests(text, key) if text else ():
            if (incident_id, scope, digest) not in seen:
                seen.add((incident_id, scope, digest))
                yield {"incident_id": incident_id, "scope": scope, "digest": digest}


def _insert(rows: Iterable[dict]) -> int:
    batch: list[dict] = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            db.session.execute(sa.insert(SearchTerm), batch)
            count, batch = count + len(batch), []
    if batch:
        db.session.execute(sa.insert(SearchTerm), batch)
    return count + len(batch)


def index_incidents(incidents: Iterable[tuple[int, IndexedIncident]]) -> None:
    """Replace the index entries of these incidents (in the caller's transaction)."""
    items = [(incident_id, scope, text) for incident_id, data in incidents for scope, text in texts_of(data)]
    ids = list({incident_id for incident_id, _scope, _text in items})
    for start in range(0, len(ids), _BATCH):
        db.session.execute(sa.delete(SearchTerm).where(SearchTerm.incident_id.in_(ids[start : start + _BATCH])))
    _insert(_rows(items, keyring().index_key()))


def _stored_texts() -> Iterator[tuple[int, str, str]]:
    """(incident, scope, text) of every stored indexed field, read through the decrypting types."""
    for incident_id, place in db.session.execute(sa.select(Incident.id, Incident.place)):
        yield incident_id, "place", place
    for incident_id, name, organisation, key in db.session.execute(
        sa.select(Victim.incident_id, Victim.name, Victim.organisation, Person.key).outerjoin(
            Person, Person.id == Victim.person_id
        )
    ):
        yield incident_id, "identity", name
        yield incident_id, "identity", organisation
        yield incident_id, "identity", key or ""
    for incident_id, name in db.session.execute(sa.select(Perpetrator.incident_id, Perpetrator.name)):
        yield incident_id, "identity", name
    for incident_id, title, confidential in db.session.execute(
        sa.select(Source.incident_id, Source.title, Source.confidential)
    ):
        yield incident_id, "identity" if confidential else "source", title


def rebuild() -> int:
    """The whole index again under the current key (in the caller's transaction); entries written."""
    db.session.execute(sa.delete(SearchTerm))
    return _insert(_rows(list(_stored_texts()), keyring().index_key()))


def matching_all(q: str, scope: str) -> sa.ColumnElement[bool]:
    """Incidents holding every word of `q` in fields of `scope`."""
    wanted = digests(q)
    if not wanted:
        return sa.false()
    found = (
        sa.select(SearchTerm.incident_id)
        .where(SearchTerm.digest.in_(wanted), SearchTerm.scope == scope)
        .group_by(SearchTerm.incident_id)
        .having(sa.func.count() == len(wanted))
    )
    return Incident.id.in_(found)
