"""Reading a report request from URL parameters: the page, its downloads and its charts
take the same ones (the list's filter names plus the period and report options)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..errors import ServiceError
from ..filters import IncidentFilter, parse_filters
from .scores import Score, civicus_score


@dataclass
class ReportRequest:
    filters: IncidentFilter
    compare: bool = False
    optional_sections: bool = False
    score: Score | None = None
    lang: str | None = None  # the language of the sentences, charts and files, if not the interface's
    errors: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.errors and bool(self.filters.date_from and self.filters.date_to)

    def args(self) -> list[tuple[str, str]]:
        """The parameters that reproduce this request (for downloads and charts)."""
        args = self.filters.to_args()
        if self.compare:
            args.append(("compare", "1"))
        if self.optional_sections:
            args.append(("optional", "1"))
        if self.score:
            args.append(("score", f"{self.score.civicus:g}"))
        if self.lang:
            args.append(("lang", self.lang))
        return args


def parse_report_request(args: MultiDict) -> ReportRequest:
    filters, errors = parse_filters(args)
    lang = args.get("lang")
    request = ReportRequest(
        filters,
        compare=args.get("compare") == "1",
        optional_sections=args.get("optional") == "1",
        lang=lang if lang in current_app.config["LANGUAGES"] else None,
        errors=errors,
    )
    if any(args.get(name) for name in ("from", "to")) and not (filters.date_from and filters.date_to):
        request.errors.append(_("Choose the first and the last day of the period."))
    raw_score = (args.get("score") or "").strip()
    if raw_score:
        try:
            request.score = civicus_score(float(raw_score.replace(",", ".")))
        except ValueError:
            request.errors.append(_("The score must be a number between 0 and 100."))
        except ServiceError as exc:
            request.errors.append(str(exc))
    return request
