"""Published means reviewed: an edit to a verified or published incident by anyone but a
reviewer (an administrator, the monitor who recorded it) does not change the incident. It is
kept as a proposal (models.IncidentRevision) while the public, partners and reports go on
reading the approved content; a reviewer other than its author approves it (then it becomes
the incident's next version, in the history like any edit) or turns it down with a reason.
A reviewer's own edit counts as reviewed and is stored at once.
"""

from __future__ import annotations

from flask_babel import gettext as _

from .. import audit
from ..errors import PermissionDenied, ServiceError
from ..extensions import db
from ..models import Incident, IncidentRevision, User
from ..security import can_review, incident_access
from ..timeutil import utcnow
from .data import IncidentData
from .merge import three_way
from .service import (
    EditConflict,
    data_from_snapshot,
    place,
    revise_incident,
    snapshot,
    snapshot_of,
    version_snapshot,
)


def propose(incident: Incident, data: IncidentData, user, base_version: int) -> IncidentRevision | None:
    """Keep `data` as the incident's proposed changes, replacing an earlier proposal (whose
    content the editor started from); None when it would change nothing, which also withdraws
    a waiting proposal."""
    if not incident_access(user, incident).edit:
        raise PermissionDenied(_("You may not edit this incident."))
    if incident.version != base_version:
        raise EditConflict(incident, base_version)
    place(data)
    proposed = snapshot_of(data, incident.status)
    waiting = incident.pending_revision
    if waiting is not None:
        _decide(waiting, user, "replaced")
    if proposed == snapshot(incident):
        db.session.commit()
        return None
    revision = IncidentRevision(incident=incident, base_version=base_version, snapshot=proposed, proposed_by_id=user.id)
    db.session.add(revision)
    audit.record("revision_proposed", incident.ref, user=user)
    db.session.commit()
    return revision


def _decide(revision: IncidentRevision, user, outcome: str, comment: str = "") -> None:
    revision.outcome = outcome
    revision.decided_by_id = user.id
    revision.decided_at = utcnow()
    revision.comment = comment


def may_decide(incident: Incident, user) -> bool:
    """Whether `user` may accept or turn down the changes waiting on `incident`: a reviewer
    (or admin) other than the one who proposed them."""
    revision = incident.pending_revision
    return revision is not None and can_review(user) and revision.proposed_by_id != user.id


def _check_reviewer(revision: IncidentRevision, user: User) -> None:
    if not can_review(user):
        raise PermissionDenied(_("Only reviewers may accept or turn down proposed changes."))
    if revision.proposed_by_id == user.id:
        raise PermissionDenied(_("Changes you proposed need another reviewer's approval."))


def approve(incident: Incident, user: User) -> int:
    """Store the waiting proposal as the incident's next version; the version number. When the
    incident changed since the proposal was made, the proposal is merged with those changes
    (merge.py) and refused if both touched the same field."""
    revision = incident.pending_revision
    if revision is None:
        raise ServiceError(_("No changes wait for review on %(ref)s.", ref=incident.ref))
    _check_reviewer(revision, user)
    content = revision.snapshot
    if revision.base_version != incident.version:
        merge = three_way(version_snapshot(incident, revision.base_version), snapshot(incident), content)
        if merge.conflicts:
            raise ServiceError(
                _(
                    "The incident changed since these changes were proposed, in the same fields. Open it in the "
                    "editor to combine them, or turn the proposal down."
                )
            )
        content = merge.merged
    revise_incident(incident, data_from_snapshot(content), revision.proposed_by or user)
    _decide(revision, user, "approved")
    revision.applied_version = incident.version
    audit.record("revision_approved", incident.ref, user=user)
    db.session.commit()
    return incident.version


def reject(incident: Incident, user: User, comment: str) -> None:
    """Turn the waiting proposal down, saying why (its author reads the reason in the history)."""
    revision = incident.pending_revision
    if revision is None:
        raise ServiceError(_("No changes wait for review on %(ref)s.", ref=incident.ref))
    _check_reviewer(revision, user)
    if not comment.strip():
        raise ServiceError(_("Please say why in the comment."))
    _decide(revision, user, "rejected", comment.strip())
    audit.record("revision_rejected", incident.ref, user=user)
    db.session.commit()
