"""Possible duplicates that imports leave for a reviewer (see matching.py), and the decision:
dismiss the pair, or mark the imported incident as a duplicate, which rejects it with a
comment naming the original (nothing is merged field by field: the original stays as it is)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from ..incidents.service import reject_as_duplicate
from ..models import DuplicateCandidate, Incident
from ..security import can_review

DECISIONS = {"dismiss": "dismissed", "duplicate": "merged"}


def pending_pairs(limit: int = 100) -> Sequence[DuplicateCandidate]:
    """The oldest undecided pairs, both incidents loaded with their violations."""
    incidents = (
        selectinload(DuplicateCandidate.incident).selectinload(Incident.violations),
        selectinload(DuplicateCandidate.candidate_of).selectinload(Incident.violations),
    )
    return db.session.scalars(
        sa.select(DuplicateCandidate)
        .where(DuplicateCandidate.status == "pending")
        .order_by(DuplicateCandidate.id)
        .limit(limit)
        .options(*incidents)
    ).all()


def pending_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(DuplicateCandidate).where(DuplicateCandidate.status == "pending")
        )
        or 0  # a count always has its row
    )


def decide(pair_id: int, decision: str, user) -> DuplicateCandidate:
    """Record a reviewer's `decision` ("dismiss" or "duplicate") on a pending pair."""
    if not can_review(user):
        raise PermissionDenied(_("Only reviewers may decide on duplicates."))
    pair = db.session.get(DuplicateCandidate, pair_id)
    if pair is None or pair.status != "pending":
        raise ServiceError(_("This pair has been decided already."))
    if decision == "duplicate" and pair.incident.status != "rejected":
        reject_as_duplicate(pair.incident, pair.candidate_of, user)
    pair.status = DECISIONS[decision]
    audit.record(f"duplicate_{pair.status}", pair.incident.ref, user=user, original=pair.candidate_of.ref)
    db.session.commit()
    return pair
