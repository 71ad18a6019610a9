"""The report page, its downloads and its charts. HTTP only: the work is in service.py,
exports.py and charts.py."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from ..counts.model import change
from ..counts.service import build_report, report_statuses
from ..i18n import select_locale, term_label
from ..regions.choropleth_image import IMAGE_TYPES, has_boundaries, missing_boundaries_message
from ..regions.service import region_names
from ..security import can_read_reports
from ..taxonomy import STATUSES
from .charts import CHARTS
from .exports import FORMATS, chart_for, export_report
from .forms import parse_report_request
from .outline import Block, dimension_titles, key_label, total_titles
from .sentences import build_sentences

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
def _authors_only():
    if not can_read_reports(current_user):
        abort(403)


def _build(req):
    f = req.filters
    return build_report(
        f.date_from,
        f.date_to,
        f,
        current_user,
        report_statuses(f),
        compare_previous=req.compare,
        optional_sections=req.optional_sections,
    )


def _ready_request():
    req = parse_report_request(request.args)
    if not req.ready:
        abort(400)
    return req


@bp.get("/")
def index():
    req = parse_report_request(request.args)
    report = _build(req) if req.ready else None

    def chart_url(section: str, kind: str, ext: str = "png") -> str:
        return url_for("reports.chart", section=section, ext=ext) + "?" + urlencode(req.args() + [("kind", kind)])

    return render_template(
        "reports/index.html",
        req=req,
        report=report,
        sentences=build_sentences(report) if report else [],
        formats=list(FORMATS),
        totals=total_titles(),
        dimensions=dimension_titles(),
        key_label=key_label,
        chart_url=chart_url,
        region_map=has_boundaries(CHARTS["region"]),
        change=change,
        statuses=", ".join(term_label(STATUSES, s) for s in report.statuses) if report else "",
        admin1_options=[(name, name) for name in region_names("admin1")],
        admin2_options=[(name, name) for name in region_names("admin2")],
    ), 400 if req.errors else 200


@bp.get("/export")
def export():
    req = _ready_request()
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        abort(400)
    mime, extension = FORMATS[fmt]
    name = f"report-{req.filters.date_from}-{req.filters.date_to}.{extension}"
    data = export_report(_build(req), fmt, current_user, select_locale(), req.score, target=name)
    return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/chart/<section>.<any(png, svg):ext>")
def chart(section: str, ext: str):
    req = _ready_request()
    kind = request.args.get("kind", "violation")
    report = _build(req)
    if kind not in CHARTS or section not in {s.key for s in report.sections}:
        abort(404)
    image = chart_for(report, Block("chart", chart=(section, kind)), select_locale(), ext)
    if image is None:
        return Response(missing_boundaries_message(), 404, mimetype="text/plain")
    return Response(image, mimetype=IMAGE_TYPES[ext], headers={"Cache-Control": "private, max-age=300"})
