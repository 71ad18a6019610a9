"""Map pages and their first data with many incidents: server milliseconds and bytes on
SQLite and PostgreSQL, next to a naive folium map with one Marker per incident.

    .venv/bin/python bench/map.py [--rows 100000] [--naive-rows 10000]

The demo incidents are loaded with the set-based importer; pages and data are requested
through the Flask test client, by a logged-in reviewer (who sees every incident, exactly)
and anonymously (published public incidents, generalised). Each time is the median of 5
requests after one warm-up request. Goals (issue 5): page + first data ≤ 1 s and ≤ 2 MB at
100k, ≤ 2 s at 1M; ours at 100k faster and smaller than the naive map at 10k.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import sqlalchemy as sa
from _common import databases, demo_csv, loaded_app, print_table, reviewer_client

from tracker.extensions import db
from tracker.models import Incident

COUNTRY = "bbox=-81.4,-18.4,-68.6,-0.03&zoom=5"
LIMA = "bbox=-77.2,-12.3,-76.8,-11.9&zoom=11"
REQUESTS = {  # label -> (signed in?, URL)
    "page /map": (True, "/map"),
    "data, country": (True, f"/map/data?{COUNTRY}"),
    "data, Lima": (True, f"/map/data?{LIMA}"),
    "data, regions": (True, "/map/data?layer=regions&level=admin1"),
    "page /public/map": (False, "/public/map"),
    "public data, country": (False, f"/public/map/data?{COUNTRY}"),
    "public data, Lima": (False, f"/public/map/data?{LIMA}"),
}
REPEAT = 5


def timed(client, url: str) -> tuple[float, int]:
    """Median milliseconds and bytes of a GET."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), len(response.data)


def request_times(app) -> dict[str, tuple[float, int]]:
    public, reviewer = app.test_client(), reviewer_client(app)
    return {label: timed(reviewer if signed_in else public, url) for label, (signed_in, url) in REQUESTS.items()}


def naive_folium(rows: int) -> tuple[float, int]:
    """Milliseconds and bytes of a folium map with one Marker (and popup) per incident."""
    import folium
    started = time.perf_counter()
    incidents = db.session.execute(sa.select(Incident.latitude, Incident.longitude, Incident.title)
                                   .where(Incident.latitude.is_not(None)).limit(rows)).all()
    fmap = folium.Map(location=[-9.19, -75.02], zoom_start=5)
    for lat, lon, title in incidents:
        folium.Marker([lat, lon], popup=title).add_to(fmap)
    html = fmap.get_root().render()
    return (time.perf_counter() - started) * 1000, len(html.encode())


def measure(kind: str, workdir: Path, csv_path: Path, naive_rows: int) -> dict[str, tuple[float, int]]:
    # boundaries: for the choropleth, the outlines and the public centroids
    with loaded_app(kind, workdir, csv_path, boundaries=True) as app:
        times = request_times(app)
        times[f"naive folium, {naive_rows:,} markers"] = naive_folium(naive_rows)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--naive-rows", type=int, default=10_000)
    args = parser.parse_args()
    columns, results = [], []
    with demo_csv(args.rows) as (workdir, csv_path):
        for kind in databases():
            print(f"{kind}: loading and timing")
            results.append(measure(kind, workdir, csv_path, args.naive_rows))
            columns += [f"{kind} ms", f"{kind} KB"]
    print(f"\n{args.rows:,} incidents; median of {REPEAT} requests (naive folium: one run)")
    labels = list(results[0])
    print_table(["request", *columns],
                [[label, *(value for r in results for value in (r[label][0], r[label][1] / 1024))]
                 for label in labels])


if __name__ == "__main__":
    main()
