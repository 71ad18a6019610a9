"""Writing to the audit log. Callers pass identifiers and counts, never victim names,
passwords, tokens or coordinates."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEntry


def record(action: str, target: str = "", user=None, **details: Any) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    entry = AuditEntry(
        action=action,
        target=target,
        user_id=getattr(user, "id", None),
        actor=getattr(user, "email", "") or details.pop("actor", ""),
        details=details,
        ip=(request.remote_addr or "") if has_request_context() else "cli",
    )
    db.session.add(entry)
    return entry
