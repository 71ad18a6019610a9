"""All models, one module per aggregate; importing this package registers every table."""

from .account_security import FailedLogin, PasswordReset
from .api_token import ApiToken
from .audit import AuditEntry
from .exchange import DuplicateCandidate, ImportJob
from .incident import (
    Event,
    Incident,
    IncidentRevision,
    IncidentVersion,
    IncidentViolation,
    Perpetrator,
    ProtectionRequest,
    Source,
    StatusChange,
    Victim,
)
from .offline import HeldDraft, OfflineReceipt
from .person import Person, PersonChange
from .protection import AlertAcknowledgement
from .ref_counter import RefCounter
from .region import LEVELS, Region
from .search import SearchTerm
from .user import User
from .user_session import RecoveryCode, UserSession

__all__ = [
    "AlertAcknowledgement",
    "ApiToken",
    "AuditEntry",
    "DuplicateCandidate",
    "Event",
    "FailedLogin",
    "HeldDraft",
    "ImportJob",
    "Incident",
    "IncidentVersion",
    "IncidentRevision",
    "IncidentViolation",
    "LEVELS",
    "OfflineReceipt",
    "PasswordReset",
    "Person",
    "PersonChange",
    "ProtectionRequest",
    "RecoveryCode",
    "Perpetrator",
    "RefCounter",
    "Region",
    "SearchTerm",
    "Source",
    "StatusChange",
    "User",
    "UserSession",
    "Victim",
]
