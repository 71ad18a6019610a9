"""Storing what phones send: each record once, under the UUID the phone gave it; as an incident
when the incident form accepts it, else as a draft held for its monitor with the problems
found (tracker/incidents/held.py). A record is never dropped: the phone deletes its copy only
when the answer names where the record now is."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import audit
from ..errors import InvalidTransition, ServiceError
from ..extensions import db
from ..incidents import held, receipts
from ..incidents.exposure import exposed
from ..incidents.forms import IncidentForm, error_summary
from ..incidents.receipts import AlreadyReceived
from ..incidents.service import change_status, create_incident
from ..models import HeldDraft, OfflineReceipt
from .sealing import Unsealable, unseal

MAX_RECORDS = 50  # per request: a long outbox goes in a few requests, each answered in seconds
MAX_FIELDS = 2000


def receive(envelope: Any, user) -> dict[str, Any]:
    """Store one sealed record sent by `user`; the answer the phone acts on."""
    client_uuid = envelope.get("uuid") if isinstance(envelope, dict) else None
    if not receipts.valid(client_uuid):
        return _refused(None, _("The record has no valid identifier."))
    earlier = db.session.get(OfflineReceipt, client_uuid)
    if earlier is not None:
        return _answer(earlier, client_uuid, user)
    try:
        return _store(envelope, client_uuid, user)
    except AlreadyReceived as received:  # sent at the same moment by another tab, or by the form
        return _answer(received.receipt, client_uuid, user)
    except ServiceError as refusal:  # the form accepted it, the service did not: hold it
        db.session.rollback()
        try:
            return _hold(client_uuid, user, [], [(_("Record"), str(refusal))])
        except AlreadyReceived as received:
            return _answer(received.receipt, client_uuid, user)
    except BaseException:
        db.session.rollback()
        raise


def _store(envelope: dict[str, Any], client_uuid: str, user) -> dict[str, Any]:
    try:
        content = unseal(envelope, client_uuid)
    except Unsealable as exc:
        return _hold(client_uuid, user, [], [(_("Record"), str(exc))])
    fields = _fields(content)
    if fields is None:
        return _hold(client_uuid, user, [], [(_("Record"), _("The unsealed record is not readable."))])
    if content.get("owner") != user.id:
        return _refused(client_uuid, _("This record was typed by another account: it waits for them to sign in."))
    formdata = MultiDict(fields)
    form = IncidentForm(formdata=formdata, meta={"csrf": False})
    problems = [(str(label), message) for _target, label, message in error_summary(form)] if not form.validate() else []
    if not problems and exposed(form.to_data()) and not formdata.get("exposure_ok"):
        problems = [(_("Title"), _exposure_problem())]
    if problems:
        return _hold(client_uuid, user, fields, problems)
    incident = create_incident(form.to_data(), user, client_uuid)
    if formdata.get("submit"):
        try:
            change_status(incident, "submitted", user)
        except InvalidTransition:
            pass  # kept as a draft: the answer gives its status, its page says what is missing
    return _stored(client_uuid, incident)


def _exposure_problem() -> str:
    return _(
        "The title or description names a victim, an organisation or a restricted place, and the incident is "
        "shown to the public or partners: reword it, or confirm it in the form."
    )


def _fields(content: Any) -> list[tuple[str, str]] | None:
    """The [name, value] pairs of the sealed content, or None when it is not that shape."""
    pairs = content.get("fields") if isinstance(content, dict) else None
    if not isinstance(pairs, list) or len(pairs) > MAX_FIELDS:
        return None
    if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) for v in p) for p in pairs):
        return None
    return [(name, value) for name, value in pairs]


def _hold(client_uuid: str, user, fields: list[tuple[str, str]], problems: list[tuple[str, str]]) -> dict[str, Any]:
    receipt = receipts.claim(client_uuid, user, "held")
    draft = held.hold(user, client_uuid, [list(pair) for pair in fields], problems)
    receipt.held_draft_id = draft.id
    audit.record("offline record held", str(draft.id), user=user)
    db.session.commit()
    return _held(draft)


def _held(draft: HeldDraft) -> dict[str, Any]:
    return {
        "uuid": draft.client_uuid,
        "outcome": "held",
        "held": draft.id,
        "url": url_for("incidents.new", held=draft.id),
        "problems": draft.problems,
    }


def _stored(client_uuid: str, incident) -> dict[str, Any]:
    return {
        "uuid": client_uuid,
        "outcome": "stored",
        "ref": incident.ref,
        "status": incident.status,
        "url": url_for("incidents.detail", ref=incident.ref),
    }


def _refused(client_uuid: str | None, reason: str) -> dict[str, Any]:
    """Not stored and not held: the phone keeps the record and shows the reason."""
    return {"uuid": client_uuid, "outcome": "refused", "reason": reason}


def _answer(receipt: OfflineReceipt | None, client_uuid: str, user) -> dict[str, Any]:
    """What became of a record received before (`again`: the phone need not announce it), to
    its sender only."""
    if receipt is None or receipt.user_id != user.id:
        return _refused(client_uuid, _("This record was sent by another account."))
    if receipt.outcome == "stored" and receipt.incident is not None:
        return _stored(client_uuid, receipt.incident) | {"again": True}
    draft = db.session.get(HeldDraft, receipt.held_draft_id) if receipt.held_draft_id else None
    if draft is not None:
        return _held(draft) | {"again": True}
    # held and since saved or discarded, or sent back to the form to correct: nothing left to do
    return {"uuid": client_uuid, "outcome": "done", "url": url_for("offline.outbox")}
