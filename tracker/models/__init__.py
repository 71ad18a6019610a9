"""All models, one module per aggregate; importing this package registers every table."""
from .audit import AuditEntry
from .incident import (Event, Incident, IncidentVersion, IncidentViolation, Perpetrator, Source,
                       StatusChange, Victim)
from .region import LEVELS, Region
from .user import User

__all__ = ["AuditEntry", "Event", "Incident", "IncidentVersion", "IncidentViolation", "LEVELS",
           "Perpetrator", "Region", "Source", "StatusChange", "User", "Victim"]
