"""Each incident typed on a phone is stored once, whichever way it arrives: posted by the form,
sent later from the phone's outbox (tracker/offline/), or both, or twice. The phone gives the
record a UUID; the first transaction to insert its receipt owns the record, and any other
waits for it (the unique key) and then reads what became of it."""

from __future__ import annotations

import re
from typing import TypeGuard

from ..errors import ServiceError
from ..extensions import conflict_insert, db
from ..models import OfflineReceipt

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class AlreadyReceived(ServiceError):
    """The record was received before: nothing new is stored (`receipt` says what was)."""

    def __init__(self, receipt: OfflineReceipt | None):
        self.receipt = receipt
        super().__init__("already received")


def valid(client_uuid: object) -> TypeGuard[str]:
    return isinstance(client_uuid, str) and bool(UUID.match(client_uuid))


def claim(client_uuid: str, user, outcome: str) -> OfflineReceipt:
    """The record's receipt, inserted in the current transaction with `outcome`; raises
    AlreadyReceived (after rolling back) when another transaction inserted it first. The
    insert waits for another transaction inserting the same UUID, then does nothing."""
    statement = (
        conflict_insert(OfflineReceipt)
        .values(client_uuid=client_uuid, user_id=user.id, outcome=outcome)
        .on_conflict_do_nothing(index_elements=["client_uuid"])
        .returning(OfflineReceipt.client_uuid)
    )
    if db.session.execute(statement).scalar() is None:
        db.session.rollback()
        raise AlreadyReceived(db.session.get(OfflineReceipt, client_uuid))
    return db.session.get_one(OfflineReceipt, client_uuid)


def retire(client_uuid: str, user) -> None:
    """The form sent this record and got it back to correct: the phone's copy has done its
    work (the corrected form is sent under a new UUID)."""
    try:
        claim(client_uuid, user, "retyped")
    except AlreadyReceived:
        return
    db.session.commit()
