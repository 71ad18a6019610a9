"""The blind search index: keyed digests of the words of encrypted fields (tracker/search_index.py)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import Model


class SearchTerm(Model):
    """One word of an incident's encrypted fields, as an HMAC digest, under the scope that
    says who may find the incident by it (tracker/filters.py, text_search_condition)."""

    __tablename__ = "search_terms"
    __table_args__ = (sa.Index("ix_search_terms_digest_scope_incident", "digest", "scope", "incident_id"),)

    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    scope: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)  # source | place | identity
    digest: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)  # hex of 16 bytes
