"""Maps: the counts agree with the list, and the public map never gives away what is
restricted or generalised (runs on SQLite and PostgreSQL through the `app` fixture)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from tests.factories import incident_data, record, submit_incident
from tests.support import SHARED_GEO
from tracker.exchange.demo import BOUNDARY_SOURCE, ensure_demo_boundaries
from tracker.filters import count_incidents, parse_filters
from tracker.incidents.data import SourceData, VictimData
from tracker.location_privacy import public_filters
from tracker.maps import service
from tracker.maps.choropleth import region_features
from tracker.maps.params import WORLD, BBox, ParameterError, parse_bbox, parse_zoom

PERU = BBox(-82.0, -19.0, -68.0, 0.5)
SECRET_NAME = "Rosa Secreta Ficticia"
SECRET_ORG = "Colectivo Reservado Ficticio"
SECRET_URL = "https://secret.example.org/testimonio-42"
# (latitude, longitude) of incidents whose exact place must stay private on the public map
SECRET_POINTS = {
    "generalised to Lima": (-12.345678, -76.543210),
    "generalised to Lima too": (-12.222222, -76.888888),
    "generalised to Cusco province": (-13.456789, -71.987654),
    "hidden": (-15.111111, -70.222222),
    "partners only": (-9.876543, -75.123456),
    "internal": (-10.111111, -74.222222),
    "draft": (-12.654321, -75.987654),
}
PUBLIC_POINT = (-12.1, -77.0)


@pytest.fixture
def boundaries(app):
    assert set(ensure_demo_boundaries(SHARED_GEO)) == {"admin1", "admin2", "admin3"}


@pytest.fixture
def privacy_corpus(users, boundaries):
    """Published, public incidents placed every way, and some the public may not see at all."""
    secret = dict(
        victims=[VictimData(group="hrd", gender="female", name=SECRET_NAME, organisation=SECRET_ORG)],
        sources=[SourceData(kind="testimony", title="Testimonio", url=SECRET_URL, confidential=True)],
    )
    plan = {
        "generalised to Lima": dict(visibility="public", public_location="admin1"),
        "generalised to Lima too": dict(visibility="public", public_location="admin1"),
        "generalised to Cusco province": dict(visibility="public", public_location="admin2"),
        "hidden": dict(visibility="public", public_location="hidden"),
        "partners only": dict(visibility="partners", public_location="exact"),
        "internal": dict(visibility="internal", public_location="exact"),
    }
    made = {}
    for title, spec in plan.items():
        lat, lon = SECRET_POINTS[title]
        made[title] = record(users, title=f"Caso {title}", latitude=lat, longitude=lon, **secret, **spec)
    lat, lon = SECRET_POINTS["draft"]
    made["draft"] = submit_incident(
        incident_data(
            title="Caso draft", latitude=lat, longitude=lon, visibility="public", public_location="exact", **secret
        ),
        users["monitor"],
    )
    made["public"] = record(
        users,
        title="Caso público exacto",
        latitude=PUBLIC_POINT[0],
        longitude=PUBLIC_POINT[1],
        visibility="public",
        public_location="exact",
        victims=[VictimData(group="hrd")],
        sources=[SourceData(kind="media", title="Nota", url="https://example.org/nota")],
    )
    return made


def coordinate_texts(lat: float, lon: float) -> list[str]:
    """How a coordinate could show up in a response: in full or rounded to the map's 5
    decimals (4 would also match region outlines, which are rounded to 4)."""
    return [text for value in (lat, lon) for text in (f"{value:.6f}", f"{value:.5f}", f"{value:.6f}"[:-1])]


def public_responses(client) -> list[str]:
    urls = [
        "/public/map",
        "/public/map/data",
        f"/public/map/data?bbox={PERU.min_lon},{PERU.min_lat},{PERU.max_lon},{PERU.max_lat}&zoom=5",
        "/public/map/data?layer=heat&zoom=7",
        "/public/map/data?layer=regions&level=admin1",
        "/public/map/data?layer=regions&level=admin2",
        "/public/map/data?q=Caso",
        "/public/map/data?status=draft",
        "/public/map/download.html?level=admin1",
        "/public/map/download.html?level=admin2&q=Caso",
    ]
    responses = [client.get(url) for url in urls]
    assert [r.status_code for r in responses] == [200] * len(urls)
    return [r.get_data(as_text=True) for r in responses]


def test_public_map_reveals_no_restricted_coordinates_names_or_sources(client, privacy_corpus):
    texts = public_responses(client)
    service.POINT_LIMIT, limit = 0, service.POINT_LIMIT  # and the same when clustered
    try:
        texts += public_responses(client)
    finally:
        service.POINT_LIMIT = limit
    forbidden = [SECRET_NAME, SECRET_ORG, SECRET_URL, "secret.example.org"]
    for title, (lat, lon) in SECRET_POINTS.items():
        forbidden += coordinate_texts(lat, lon) + [f"Caso {title}", privacy_corpus[title].ref]
    for text in texts:
        leaks = [secret for secret in forbidden if secret in text]
        assert not leaks, leaks


def test_public_map_merges_generalised_incidents_and_omits_hidden_ones(client, privacy_corpus):
    data = client.get("/public/map/data").get_json()
    features = data["features"]
    places = sorted(
        (f["properties"]["region"], f["properties"]["count"]) for f in features if f["properties"]["kind"] == "place"
    )
    assert places == [("Cusco", 1), ("Lima", 2)]
    for place in (f for f in features if f["properties"]["kind"] == "place"):
        assert set(place["properties"]) == {"kind", "count", "level", "region", "link"}
        assert place["properties"]["link"] is None
    incidents = [f for f in features if f["properties"]["kind"] == "incident"]
    assert [f["properties"]["title"] for f in incidents] == ["Caso público exacto"]
    assert incidents[0]["geometry"]["coordinates"] == [PUBLIC_POINT[1], PUBLIC_POINT[0]]
    assert incidents[0]["properties"]["link"] is None  # the public cannot open incident pages
    props = data["properties"]
    assert props["total"] == 5 and props["located"] == 4 and props["in_view"] == 4


def test_public_map_offers_no_text_search(client, privacy_corpus):
    """Counting text hits at a centroid would tell where a generalised incident is."""
    everything = client.get("/public/map/data").get_json()
    assert client.get("/public/map/data?q=Caso generalised to Lima").get_json() == everything
    assert 'name="q"' not in client.get("/public/map").text


def test_public_choropleth_counts_only_what_may_be_placed_in_the_region(client, privacy_corpus):
    by_name = {
        f["properties"]["name"]: f["properties"]
        for f in client.get("/public/map/data?layer=regions&level=admin1").get_json()["features"]
    }
    assert by_name["Lima"]["count"] == 3 and by_name["Cusco"]["count"] == 1
    assert by_name["Puno"]["count"] == 0  # its only incident is hidden
    assert by_name["Lima"]["link"] is None
    provinces = client.get("/public/map/data?layer=regions&level=admin2").get_json()
    assert provinces["properties"]["total"] == 2  # the exact one in Lima and the one generalised to Cusco


def test_signed_in_map_shows_points_with_links_and_regions_with_list_links(client, auth, privacy_corpus):
    auth.login("reviewer")
    data = client.get("/map/data").get_json()
    assert data["properties"]["total"] == data["properties"]["located"] == 8
    refs = {f["properties"]["ref"]: f["properties"] for f in data["features"]}
    draft = refs[privacy_corpus["draft"].ref]
    assert draft["link"] == f"/incidents/{privacy_corpus['draft'].ref}"
    assert [v["label"] for v in draft["violations"]] == ["Threat"]
    lima = next(
        f["properties"]
        for f in client.get("/map/data?layer=regions&violation=threat").get_json()["features"]
        if f["properties"]["name"] == "Lima"
    )
    assert lima["count"] == 4 and lima["top"] == [{"code": "threat", "label": "Threat", "count": 4}]
    listing = client.get(lima["link"]).text
    assert 'data-total="4"' in listing


def test_region_popup_counts_every_violation_of_an_incident(app, users, boundaries):
    for violations, killed in (
        (["threat", "org_closure"], 1),
        (["threat"], 2),
        (["org_closure", "threat"], 0),
        (["protest_excessive_force"], 0),
    ):
        record(users, status="verified", violations=violations, killed=killed, latitude=-12.05, longitude=-77.04)
    lima = next(
        f["properties"]
        for f in region_features(parse_filters(MultiDict())[0], users["reviewer"], "admin1", public=False)["features"]
        if f["properties"]["name"] == "Lima"
    )
    assert (lima["count"], lima["killed"]) == (4, 3)
    assert [(v["code"], v["count"]) for v in lima["top"]] == [
        ("threat", 3),
        ("org_closure", 2),
        ("protest_excessive_force", 1),
    ]


def test_readers_without_exact_access_get_merged_region_places(client, auth, privacy_corpus):
    auth.login("viewer")  # sees public and partners incidents, the coordinates of public ones only
    features = client.get("/map/data").get_json()["features"]
    exact = {f["properties"]["title"] for f in features if f["properties"]["kind"] == "incident"}
    assert "Caso partners only" not in exact and "Caso público exacto" in exact
    text = json.dumps(features)
    assert not [t for t in coordinate_texts(*SECRET_POINTS["partners only"]) if t in text]


COMBOS = [
    [],
    [("violation", "threat")],
    [("section", "protection")],
    [("admin1", "Lima")],
    [("from", "2024-01-01"), ("to", "2024-06-30")],
    [("q", "Juliaca")],
    [("status", "verified")],
    [("victim_group", "protester"), ("admin1", "Puno")],
]


@pytest.fixture
def count_corpus(users, boundaries):
    """Incidents with and without coordinates, several statuses and regions."""
    specs = [
        dict(title="Amenaza en Lima", admin1="Lima", latitude=-12.05, longitude=-77.04),
        dict(
            title="Protesta en Juliaca",
            violations=["protest_excessive_force"],
            latitude=-15.5,
            longitude=-70.13,
            victims=[VictimData(group="protester", count=12)],
            date=date(2023, 1, 9),
            killed=2,
        ),
        dict(title="Sin coordenadas", admin1="Puno", latitude=None, longitude=None),
        dict(title="Amenaza en Madre de Dios"),
        dict(
            title="Cierre en Lima",
            violations=["org_closure"],
            latitude=-12.1,
            longitude=-77.0,
            victims=[VictimData(group="organisation")],
            perpetrators=[],
        ),
        dict(title="Publicada en Cusco", latitude=-13.53, longitude=-71.97, visibility="public"),
    ]
    for i, spec in enumerate(specs):
        record(users, status=("verified", "published")[i % 2], **spec)
    submit_incident(incident_data(title="Enviada"), users["monitor"])


@pytest.mark.parametrize("role", ["reviewer", "monitor", "viewer", None])
@pytest.mark.parametrize("limit", [service.POINT_LIMIT, 0], ids=["points", "clusters"])
def test_map_counts_equal_list_counts(app, users, count_corpus, monkeypatch, role, limit):
    monkeypatch.setattr(service, "POINT_LIMIT", limit)
    user = users[role] if role else None
    for combo in COMBOS:
        filters, errors = parse_filters(MultiDict(combo))
        assert not errors
        data = service.map_features(filters, user, WORLD, 5, public=role is None)
        expected = count_incidents(public_filters(filters) if role is None else filters, user)
        assert data["properties"]["total"] == expected, combo
        assert data["properties"]["mode"] == ("clusters" if limit == 0 and data["properties"]["in_view"] else "points")
        drawn = sum(f["properties"].get("count", 1) for f in data["features"])
        assert drawn == data["properties"]["in_view"] == data["properties"]["located"], combo
        if role == "reviewer":
            assert data["properties"]["located"] == expected  # everything has a place
            regions = region_features(filters, user, "admin1", public=False)["properties"]
            assert regions["total"] + regions["unmatched"] == expected, combo


def test_map_page_count_matches_the_list(client, auth, count_corpus):
    auth.login("reviewer")
    for combo in COMBOS:
        query = "&".join(f"{k}={v}" for k, v in combo)
        listed = client.get(f"/incidents/?{query}").text.split('data-total="')[1].split('"')[0]
        assert f'data-total="{listed}"' in client.get(f"/map?{query}").text
        assert client.get(f"/map/data?{query}").get_json()["properties"]["total"] == int(listed)


def test_grid_cells_floor_negative_coordinates_the_same_on_every_database(app, users):
    """Peru is all south and west of 0°: cells must be floor(x / cell), not truncation or
    rounding, or points would join the wrong cell on one database and not the other."""
    for lat, lon in ((-12.2, -76.2), (-12.8, -76.8), (-11.9, -76.5)):
        record(users, latitude=lat, longitude=lon)
    from tracker.filters import IncidentFilter, filter_conditions
    from tracker.location_privacy import placed_exactly
    from tracker.maps.service import _clusters

    conditions = [*filter_conditions(IncidentFilter(), users["reviewer"]), placed_exactly(users["reviewer"])]
    cells = sorted((f["properties"]["count"], f["geometry"]["coordinates"][1]) for f in _clusters(conditions, [], 1.0))
    assert cells == [(1, -11.9), (2, -12.5)]


def test_bad_map_parameters_get_a_json_400(client, auth, users):
    auth.login("reviewer")
    for query in (
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=-70,-10,-80,-5",
        "zoom=31",
        "zoom=x",
        "layer=pie",
        "layer=regions&level=admin9",
        "bbox=nan,1,2,3",
    ):
        response = client.get(f"/map/data?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]


def test_parse_bbox_and_zoom():
    assert parse_bbox("-181,-95,-68.5,0.5") == BBox(-180.0, -90.0, -68.5, 0.5)
    assert parse_bbox(None) == WORLD and parse_zoom(None) == 5 and parse_zoom("12") == 12
    with pytest.raises(ParameterError):
        parse_bbox("-70,-10,-70,-5")


def test_map_pages_need_login_except_the_public_one(client, users):
    assert client.get("/map").status_code == 302
    assert client.get("/map/data").status_code == 302
    assert client.get("/map/download.html").status_code == 302
    page = client.get("/public/map")
    assert page.status_code == 200
    assert "<script>" not in page.text and "https://" not in page.text.split("</header>")[1]


def test_exact_location_clause_agrees_with_incident_access(app, users, privacy_corpus):
    """The map's SQL rule and the incident page's Python rule say the same for every role."""
    import sqlalchemy as sa

    from tracker.extensions import db
    from tracker.models import Incident
    from tracker.security import exact_location_clause, incident_access

    for role in ("admin", "reviewer", "monitor", "author", "viewer"):
        user = users[role]
        allowed = set(db.session.scalars(sa.select(Incident.id).where(exact_location_clause(user))))
        for incident in privacy_corpus.values():
            assert (incident.id in allowed) == incident_access(user, incident).exact_location, (role, incident.title)


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
STYLESHEET_LINK = re.compile(r"<link\b[^>]*rel=\"stylesheet\"[^>]*>", re.I)


def csp_nonce_of(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    nonces = re.findall(r"'nonce-([\w-]+)'", script_src)
    assert len(nonces) == 1, policy
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    return nonces[0]


@pytest.mark.parametrize("role", ["reviewer", None])
def test_map_page_is_folium_with_vendored_assets_and_nonced_scripts(client, auth, boundaries, role):
    if role:
        auth.login(role)
    url = "/map" if role else "/public/map"
    page = client.get(url)
    nonce = csp_nonce_of(page)
    assert nonce != csp_nonce_of(client.get(url))  # a new one for every response
    tags = SCRIPT_TAG.findall(page.text)
    inline = [attrs for attrs in tags if "src=" not in attrs]
    assert inline, "folium's map script"
    for attrs in tags:
        src = re.search(r'src="([^"]*)"', attrs)
        assert f'nonce="{nonce}"' in attrs or (src and src.group(1).startswith("/static/")), attrs
    links = [re.search(r'href="([^"]*)"', tag).group(1) for tag in STYLESHEET_LINK.findall(page.text)]
    assert "/static/vendor/leaflet/leaflet.css" in links
    assert all(href.startswith("/static/") for href in links), links
    assert not re.search(r"<(script|link)\b[^>]*(src|href)=\"(https?:)?//", page.text)
    # the random nonce and CSRF tokens are not assets (one once held "cdn")
    markup = re.sub(r'nonce="[^"]*"|name="csrf_token"[^>]*value="[^"]*"', "", page.text).lower()
    for unused in ("jquery", "bootstrap", "awesome", "fontawesome", "cdn"):
        assert unused not in markup, unused
    name = re.search(r'data-map-name="(map_\w+)"', page.text).group(1)
    assert f"var {name} = L.map(" in page.text and f'<div class="folium-map" id="{name}"' in page.text


def test_map_page_tiles_come_from_the_settings(app, client, boundaries):
    app.config.update(TILE_URL="https://{s}.tiles.example.net/{z}/{x}/{y}.png", TILE_ATTRIBUTION="Example tiles")
    page = client.get("/public/map")
    assert "https://{s}.tiles.example.net/{z}/{x}/{y}.png" in page.text and "Example tiles" in page.text
    assert "img-src 'self' data: https://*.tiles.example.net;" in page.headers["Content-Security-Policy"]
    app.config.update(TILE_URL="")
    assert "L.tileLayer" not in client.get("/public/map").text  # no tiles: region outlines only


def test_folium_defaults_stay_as_folium_ships_them(client, boundaries):
    """bench/map.py's naive baseline is folium as it comes; our maps change their own copies."""
    import folium

    before = (list(folium.Map.default_js), list(folium.Map.default_css))
    client.get("/public/map")
    client.get("/public/map/download.html")
    assert (folium.Map.default_js, folium.Map.default_css) == before
    assert folium.Map.default_js[0][1].startswith("https://")


def downloaded_regions(html: str) -> dict[str, tuple[int, int]]:
    """name -> (count, killed) from the GeoJSON folium writes into the standalone file."""
    data = json.loads(re.search(r"geo_json_\w+_add\((\{.*?\})\);", html, re.S).group(1))
    return {f["properties"]["name"]: (f["properties"]["count"], f["properties"]["killed"]) for f in data["features"]}


@pytest.mark.parametrize("role", ["reviewer", "viewer", None])
@pytest.mark.parametrize("query", ["level=admin1", "level=admin2&violation=threat"])
def test_download_html_is_a_standalone_choropleth_of_the_map_counts(client, auth, users, privacy_corpus, role, query):
    if role:
        auth.login(role)
    response = client.get(f"{'/map' if role else '/public/map'}/download.html?{query}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    html = response.text
    assert "<script src=" not in html and "<link" not in html  # Leaflet is inside the file
    assert "Leaflet 1.9.4" in html and ".leaflet-container" in html and "images/layers.png" not in html
    filters, _ = parse_filters(MultiDict([tuple(pair.split("=")) for pair in query.split("&")]))
    level = "admin2" if "admin2" in query else "admin1"
    expected = region_features(filters, users[role] if role else None, level, public=role is None)
    assert downloaded_regions(html) == {
        f["properties"]["name"]: (f["properties"]["count"], f["properties"]["killed"]) for f in expected["features"]
    }
    assert sum(count for count, _ in downloaded_regions(html).values()) == expected["properties"]["total"]
    assert f"<h1>Incidents by {'department' if level == 'admin1' else 'province'}</h1>" in html
    shown = f"{expected['properties']['total']} incident{'' if expected['properties']['total'] == 1 else 's'}"
    assert f'<p class="map-period">Period: all dates. {shown} on the map.</p>' in html
    said = "Filters: Violation: Threat." if "violation" in query else "Filters: none."
    assert f'<p class="map-filters">{said}</p>' in html
    assert 'class="map-legend"><strong>Incidents</strong><span><i style="background:#ffffff"></i>0</span>' in html
    assert '<p class="map-source">Source: Civic space tracker, incidents ' in html
    assert f'<p class="map-source">Boundaries: {BOUNDARY_SOURCE}.</p>' in html
    assert "Map tiles" not in html  # no tiles configured
    assert "/incidents" not in html  # aggregates only: no links back into the site
    for title in SECRET_POINTS:
        assert f"Caso {title}" not in html and privacy_corpus[title].ref not in html
    assert SECRET_NAME not in html and SECRET_URL not in html


def test_download_html_follows_the_period_and_needs_boundaries(client, users):
    assert client.get("/public/map/download.html").status_code == 404  # no boundaries imported
    from tracker.exchange.demo import ensure_demo_boundaries

    ensure_demo_boundaries(SHARED_GEO)
    html = client.get("/public/map/download.html?from=2024-01-01&to=2024-06-30&q=Caso").text
    assert "Period: January 1, 2024 to June 30, 2024. 0 incidents on the map." in html
    assert "Filters: none." in html and "Caso" not in html  # the public has no text search
    assert client.get("/public/map/download.html?level=admin9").status_code == 400


def test_download_html_escapes_region_text_for_its_popups():
    from tracker.maps.standalone import _popup_properties

    shown = _popup_properties(
        {
            "name": "<b>Lima</b>",
            "count": 2,
            "killed": 0,
            "top": [{"code": "threat", "label": "Threat & <i>", "count": 2}],
        }
    )
    assert shown == {"name": "&lt;b&gt;Lima&lt;/b&gt;", "count": 2, "killed": 0, "top": "Threat &amp; &lt;i&gt; (2)"}


def test_map_page_offers_the_html_download_with_its_filters(client, auth, boundaries):
    auth.login("reviewer")
    page = client.get("/map?violation=threat").text
    link = re.search(r'<a class="button" href="([^"]*download\.html[^"]*)"[^>]*data-map-download', page).group(1)
    assert link.replace("&amp;", "&") == "/map/download.html?violation=threat&level=admin1"


def test_download_html_credits_the_tiles_it_shows(app, client, boundaries):
    app.config.update(
        TILE_URL="https://{s}.tiles.example.net/{z}/{x}/{y}.png",
        TILE_ATTRIBUTION='&copy; <a href="https://example.net/copyright">Example</a> contributors',
    )
    html = client.get("/public/map/download.html").text
    assert "https://{s}.tiles.example.net/{z}/{x}/{y}.png" in html
    assert '<p class="map-source">Map tiles: © Example contributors.</p>' in html


@pytest.mark.parametrize("role", ["reviewer", None])
def test_downloads_are_in_the_readers_language(client, auth, boundaries, role):
    """Spanish throughout; "Límites" waits for the catalogue's new entries."""
    if role:
        auth.login(role)
    base = "/map" if role else "/public/map"
    spanish = {"Accept-Language": "es"}
    html = client.get(f"{base}/download.html?violation=threat&admin1=Junín", headers=spanish).text
    assert "<h1>Incidentes por departamento</h1>" in html
    assert '<p class="map-period">Periodo: todas las fechas. 0 incidentes en el mapa.</p>' in html
    assert '<p class="map-filters">Filtros: Vulneración: Amenaza; Departamento: Junín.</p>' in html
    assert '<p class="map-source">Fuente: Monitoreo del espacio cívico, ' in html
    assert f'<p class="map-source">Límites: {BOUNDARY_SOURCE}.</p>' in html
    svg = client.get(f"{base}/choropleth.svg?violation=threat", headers=spanish).text
    assert "Filtros: Vulneración: Amenaza." in svg and "Límites: " in svg
