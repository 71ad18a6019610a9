"""Map pages and their GeoJSON data, for signed-in readers (/map) and the public (/public/map).
HTTP only: the work is in service.py, choropleth.py and generalise.py."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user

from ..filters import count_incidents, parse_filters
from ..regions.service import outlines_geojson, region_names
from .choropleth import region_features
from .generalise import map_reader
from .params import LAYERS, REGION_LEVELS, ParameterError, parse_map_query
from .service import map_features

bp = Blueprint("maps", __name__)


def _page(public: bool):
    parsed, errors = parse_filters(request.args)
    filters, reader = map_reader(parsed, current_user, public)
    endpoint = "maps.public_map" if public else "maps.map_page"
    return render_template(
        "maps/map.html", filters=filters, errors=errors, public=public,
        total=count_incidents(filters, reader),
        form_action=url_for(endpoint), data_url=url_for(f"{endpoint}_data"),
        layer=request.args.get("layer") if request.args.get("layer") in LAYERS else "points",
        level=request.args.get("level") if request.args.get("level") in REGION_LEVELS else "admin1",
        admin1_options=_pairs(region_names("admin1")), admin2_options=_pairs(region_names("admin2")))


def _pairs(names: list[str]) -> list[tuple[str, str]]:
    return [(name, name) for name in names]


def _data(public: bool):
    try:
        query = parse_map_query(request.args)
    except ParameterError as exc:
        return jsonify(error=str(exc)), 400
    filters, errors = parse_filters(request.args)
    if query.layer == "outlines":
        return jsonify(outlines_geojson("admin1"))
    if query.layer == "regions":
        data = region_features(filters, current_user, query.level, public)
    else:
        data = map_features(filters, current_user, query.bbox, query.zoom, public)
    data["properties"]["warnings"] = errors  # ignored values, as the list ignores them
    return jsonify(data)


@bp.get("/map")
def map_page():
    return _page(public=False)


@bp.get("/public/map")
def public_map():
    return _page(public=True)


@bp.get("/map/data")
def map_page_data():
    return _data(public=False)


@bp.get("/public/map/data")
def public_map_data():
    return _data(public=True)
