"""Three-way merge of two edits of one incident: when a save finds that someone else saved
since the editor opened the form, the fields only one side changed are taken from that side,
and the fields both changed differently are left for the editor to choose. Nothing is saved
until every such field is decided, so the other person's edits are never lost silently.

Snapshots (service.snapshot_of) are compared field by field; a repeating block (victims,
perpetrators, sources, protection requests) and the violations are one field each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from ..errors import ServiceError
from .changes import field_label, value_text

MERGED_FIELDS_EXCLUDED = ("status",)  # moved by the workflow, never by a form
THEIRS, YOURS = "theirs", "yours"


@dataclass(frozen=True)
class Choice:
    field: str
    label: str
    original: str
    theirs: str
    yours: str


@dataclass(frozen=True)
class Merge:
    base: dict[str, Any]  # as the editor opened it
    theirs: dict[str, Any]  # as stored now
    yours: dict[str, Any]  # as the editor's form has it
    merged: dict[str, Any]  # each field taken from the side that changed it (yours where both did)
    conflicts: tuple[str, ...]  # fields both sides changed, differently

    def choices(self) -> list[Choice]:
        """Each conflicting field in words, as it was, as stored now and as the editor has it."""
        return [
            Choice(
                name,
                field_label(name),
                value_text(name, self.base.get(name)),
                value_text(name, self.theirs.get(name)),
                value_text(name, self.yours.get(name)),
            )
            for name in self.conflicts
        ]


def three_way(base: dict[str, Any], theirs: dict[str, Any], yours: dict[str, Any]) -> Merge:
    merged, conflicts = {}, []
    for name in dict.fromkeys([*yours, *theirs]):
        if name in MERGED_FIELDS_EXCLUDED:
            continue
        # a field the editor's snapshot lacks (a proposal made before the field existed) is one
        # they did not change
        original = base.get(name)
        mine, other = yours.get(name, original), theirs.get(name)
        if mine == other or other == original:
            merged[name] = mine
        elif mine == original:
            merged[name] = other
        else:
            merged[name] = mine
            conflicts.append(name)
    return Merge(base, theirs, yours, merged, tuple(conflicts))


def decide(merge: Merge, decisions: dict[str, str]) -> dict[str, Any]:
    """The merged snapshot with the editor's choice (THEIRS or YOURS) for every conflicting
    field; refused while one is undecided."""
    undecided = [name for name in merge.conflicts if decisions.get(name) not in (THEIRS, YOURS)]
    if undecided:
        raise UndecidedMerge(undecided)
    return {
        **merge.merged,
        **{name: merge.theirs.get(name) for name in merge.conflicts if decisions[name] == THEIRS},
    }


class UndecidedMerge(ServiceError):
    def __init__(self, fields: list[str]):
        self.fields = fields
        super().__init__(_("Choose which version to keep for every field changed on both sides; nothing was saved."))
