"""The report page, its downloads and its charts. HTTP only: the counts are in
tracker/counts/, the words, documents and charts in the modules beside this one."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user

from ..counts.model import change
from ..counts.service import build_report, report_statuses
from ..i18n import select_locale
from ..regions.choropleth_image import IMAGE_TYPES, has_boundaries, missing_boundaries_message
from ..regions.service import region_names
from ..security import can_read_reports
from . import periods
from .charts import CHARTS, chart_for
from .exports import FORMAT_NAMES, FORMATS, export_report
from .figures import percent, signed_change
from .forms import ReportRequest, parse_report_request
from .outline import (
    change_title,
    dimension_titles,
    file_stem,
    group_label,
    key_label,
    median_text,
    persons_titles,
    total_titles,
)
from .scope import statuses_text
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


def _report_locale(req: ReportRequest) -> str:
    """The language the report is written in: the one asked for, else the interface's."""
    return req.lang or select_locale()


@bp.get("/")
def index():
    req = parse_report_request(request.args)
    report = _build(req) if req.ready else None
    report_locale = _report_locale(req)
    with force_locale(report_locale):
        score_heading = req.score.heading() if req.score else ""

    def chart_url(section: str, kind: str, ext: str = "png") -> str:
        return url_for("reports.chart", section=section, ext=ext) + "?" + urlencode(req.args() + [("kind", kind)])

    return render_template(
        "reports/index.html",
        req=req,
        report=report,
        report_locale=report_locale,
        sentences=build_sentences(report, report_locale) if report else [],
        score_heading=score_heading,
        preset_groups=periods.preset_groups(req.filters.date_from, periods.today()),
        period_args=[(k, v) for k, v in req.args() if k not in ("from", "to")],
        language_args=[(k, v) for k, v in req.args() if k != "lang"],
        formats=FORMAT_NAMES,
        totals=total_titles(),
        dimensions=dimension_titles(),
        key_label=key_label,
        persons_titles=persons_titles(),
        group_label=group_label,
        median_text=median_text,
        percent=percent,
        change_title=change_title(),
        signed_change=signed_change,
        chart_url=chart_url,
        region_map=has_boundaries(CHARTS["region"]),
        change=change,
        statuses=statuses_text(report.statuses) if report else "",
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
    report = _build(req)
    name = f"{file_stem(report)}.{extension}"
    data = export_report(report, fmt, current_user, _report_locale(req), req.score, target=name)
    return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/chart/<section>.<any(png, svg):ext>")
def chart(section: str, ext: str):
    req = _ready_request()
    kind = request.args.get("kind", "violation")
    report = _build(req)
    if kind not in CHARTS or section not in {s.key for s in report.sections}:
        abort(404)
    with force_locale(_report_locale(req)):
        image = chart_for(report, section, kind, ext)
    if image is None:
        return Response(missing_boundaries_message(), 404, mimetype="text/plain")
    return Response(image, mimetype=IMAGE_TYPES[ext], headers={"Cache-Control": "private, max-age=300"})
