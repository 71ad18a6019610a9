"""Downloads of the incidents list with its filters, in every export format: for signed-in
readers (with what their role may see) and for the public (published public incidents at
the map's generalised locations). HTTP only: the work is in exporter.py."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, stream_with_context
from flask_login import current_user

from ..filters import parse_filters
from ..location_privacy import map_reader
from .exporter import Export
from .formats import FORMATS

bp = Blueprint("exports", __name__)


def _download(fmt: str, public: bool) -> Response:
    if fmt not in FORMATS:
        abort(404)
    parsed, errors = parse_filters(request.args)
    if errors:  # exporting more than was asked for would be worse than saying why not
        return Response("\n".join(errors), 400, mimetype="text/plain")
    filters, reader = map_reader(parsed, current_user, public)
    spec = FORMATS[fmt]
    name = ("public-incidents" if public else "incidents") + ("" if fmt == spec.extension else f"-{fmt}")
    name = f"{name}.{spec.extension}"
    export = Export(fmt, filters, reader, target=name)
    return Response(
        stream_with_context(export.chunks()),
        mimetype=spec.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


@bp.get("/incidents/export.<fmt>")
def incidents(fmt: str):
    return _download(fmt, public=False)


@bp.get("/public/export.<fmt>")
def public(fmt: str):
    return _download(fmt, public=True)
