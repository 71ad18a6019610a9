"""Map pages and their GeoJSON data, for signed-in readers (/map) and the public (/public/map).
HTTP only: the work is in service.py, choropleth.py and tracker/location_privacy.py."""

from __future__ import annotations

from urllib.parse import urlencode, urljoin

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from ..filters import count_incidents, parse_filters
from ..location_privacy import map_reader
from ..regions.choropleth_image import IMAGE_TYPES, has_boundaries, missing_boundaries_message
from ..regions.service import outlines_geojson, region_names
from ..security import csp_nonce
from .choropleth import region_features, region_map_image
from .page import page_map
from .params import LAYERS, REGION_LEVELS, ParameterError, parse_map_query
from .service import map_features
from .standalone import standalone_map_html
from .tiles import media_type, read_tile, tile_file

bp = Blueprint("maps", __name__)


@bp.record_once
def _check_tile_file(state) -> None:
    """A tile file that cannot be read stops the start-up, with the reason."""
    path = tile_file(state.app)
    if path is not None:
        state.app.extensions["tracker_tile_media_type"] = media_type(path)


@bp.get("/tiles/<int:z>/<int:x>/<int:y>")
def tile(z: int, x: int, y: int):
    """A map tile from the local tile file (tiles.py); 404 where it has none, or none is set.
    Public, like the public map that shows them."""
    path = tile_file(current_app)
    data = read_tile(path, z, x, y) if path is not None else None
    if data is None:
        abort(404)
    response = Response(data, mimetype=current_app.extensions["tracker_tile_media_type"])
    response.headers["Cache-Control"] = "public, max-age=86400"  # a base map changes with its file only
    return response


def _page(public: bool):
    parsed, errors = parse_filters(request.args)
    filters, reader = map_reader(parsed, current_user, public)
    endpoint = "maps.public_map" if public else "maps.map_page"
    level = request.args.get("level", "")
    level = level if level in REGION_LEVELS else "admin1"
    config = current_app.config
    return render_template(
        "maps/map.html",
        filters=filters,
        errors=errors,
        public=public,
        total=count_incidents(filters, reader),
        form_action=url_for(endpoint),
        data_url=url_for(f"{endpoint}_data"),
        layer=request.args.get("layer") if request.args.get("layer") in LAYERS else "points",
        level=level,
        fmap=page_map(config["TILE_URL"], config["TILE_ATTRIBUTION"], csp_nonce()),
        downloads=_download_urls(endpoint, filters.to_args() + [("level", level)]),
        admin1_options=_pairs(region_names("admin1")),
        admin2_options=_pairs(region_names("admin2")),
    )


def _download_urls(endpoint: str, args: list[tuple[str, str]]) -> dict[str, str]:
    """extension -> URL of the choropleth image (png, svg) or standalone map (html) with the
    page's filters; none without boundaries."""
    if not has_boundaries("admin1"):
        return {}
    query = "?" + urlencode(args)
    urls = {ext: url_for(f"{endpoint}_image", ext=ext) + query for ext in IMAGE_TYPES}
    urls["html"] = url_for(f"{endpoint}_download") + query
    return urls


def _absolute(tile_url: str) -> str:
    """The tile URL a downloaded map file asks, opened from disk: local tiles (TILE_FILE) from
    this server."""
    return urljoin(request.url_root, tile_url) if tile_url.startswith("/") else tile_url


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


def _image(public: bool, ext: str):
    try:
        query = parse_map_query(request.args)
    except ParameterError as exc:
        return Response(str(exc), 400, mimetype="text/plain")
    filters, _errors = parse_filters(request.args)
    image = region_map_image(filters, current_user, query.level, public, ext)
    if image is None:
        return Response(missing_boundaries_message(), 404, mimetype="text/plain")
    return Response(image, mimetype=IMAGE_TYPES[ext], headers={"Cache-Control": "private, max-age=300"})


def _download(public: bool):
    try:
        query = parse_map_query(request.args)
    except ParameterError as exc:
        return Response(str(exc), 400, mimetype="text/plain")
    if not has_boundaries(query.level):
        return Response(missing_boundaries_message(), 404, mimetype="text/plain")
    filters, _errors = parse_filters(request.args)
    config = current_app.config
    static_folder = current_app.static_folder
    if static_folder is None:  # create_app always gives it static/
        raise RuntimeError("the app has no static folder to take Leaflet from")
    html = standalone_map_html(
        filters,
        current_user,
        query.level,
        public,
        static_folder,
        _absolute(config["TILE_URL"]),
        config["TILE_ATTRIBUTION"],
    )
    return Response(
        html,
        mimetype="text/html",
        headers={
            "Content-Disposition": f'attachment; filename="incident-map-{query.level}.html"',
            "Cache-Control": "private, max-age=300",
        },
    )


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


@bp.get("/map/choropleth.<any(png, svg):ext>")
def map_page_image(ext: str):
    return _image(public=False, ext=ext)


@bp.get("/public/map/choropleth.<any(png, svg):ext>")
def public_map_image(ext: str):
    return _image(public=True, ext=ext)


@bp.get("/map/download.html")
def map_page_download():
    return _download(public=False)


@bp.get("/public/map/download.html")
def public_map_download():
    return _download(public=True)
