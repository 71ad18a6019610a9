"""Drafts held back on the server: records typed on a phone with no signal that the server
could not store as incidents when they arrived (tracker/offline/). They belong to the monitor
who sent them, who opens one in the incident form (`incidents.new?held=<id>`), sees what was
wrong, and saves it; nothing is dropped."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models import HeldDraft


def hold(user, client_uuid: str, fields: list[list[str]], problems: list[tuple[str, str]]) -> HeldDraft:
    draft = HeldDraft(user_id=user.id, client_uuid=client_uuid, fields=fields, problems=[list(p) for p in problems])
    db.session.add(draft)
    db.session.flush()
    return draft


def held_for(user) -> list[HeldDraft]:
    """The user's held drafts, oldest first."""
    return list(db.session.scalars(sa.select(HeldDraft).where(HeldDraft.user_id == user.id).order_by(HeldDraft.id)))


def own_held(user, draft_id: int | str | None) -> HeldDraft | None:
    """The user's held draft of that id; None for anyone else's (whose existence stays hidden)."""
    try:
        draft = db.session.get(HeldDraft, int(draft_id or 0))
    except ValueError:
        return None
    return draft if draft is not None and draft.user_id == user.id else None


def as_formdata(draft: HeldDraft) -> MultiDict:
    """The draft's fields as the form would have posted them."""
    return MultiDict([(name, value) for name, value in draft.fields])


def summary(draft: HeldDraft) -> dict[str, Any]:
    """Date and violation codes, for the list of held drafts (nothing restricted)."""
    data = as_formdata(draft)
    return {"date": data.get("date", ""), "violations": data.getlist("violations")}


def discard(draft: HeldDraft) -> None:
    db.session.delete(draft)
