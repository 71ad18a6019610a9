"""Map pages and their first data with many incidents: server milliseconds and bytes on
SQLite and PostgreSQL, next to a naive folium map with one Marker per incident.

    .venv/bin/python bench/map.py [--rows 100000] [--naive-rows 10000] [--no-browser]

The demo incidents are loaded with the set-based importer; pages and data are requested
through the Flask test client, by a logged-in reviewer (who sees every incident, exactly)
and anonymously (published public incidents, generalised). Each time is the median of 5
requests after one warm-up request. Goals (bench/README.md, "Goals"): page + first data ≤ 1 s and ≤ 2 MB at
100k, ≤ 2 s at 1M; ours at 100k faster and smaller than the naive map at 10k.

Unless --no-browser: the same app served on 127.0.0.1 by werkzeug (threaded), and headless
Chromium (/usr/bin/chromium, through Playwright) timing each map page, signed in and public,
points and regions layer, from the start of page.goto until #incident-map has
data-state="loaded": the median of 5 loads after one warm-up, each in a new browser context
(an empty HTTP cache, so every script and the data are fetched again). Requests to any other
host are blocked and counted. Goal: ≤ 2 s at 100k.
"""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import sys
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import sqlalchemy as sa
from _common import REVIEWER, databases, demo_csv, loaded_app, log_in_page, print_table, reviewer_client
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

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

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HOST = "127.0.0.1"
FOREIGN = re.compile(rf"^(?!https?://{re.escape(HOST)}[:/])")  # matched inside Playwright's driver
PAGES = {"/map": True, "/public/map": False}  # path -> signed in?
LAYERS = {"points": "", "regions": "?layer=regions"}
SETTLED = """() => {  // [state, shown] once the map's first layer has loaded or failed, read at once
  const el = document.getElementById("incident-map");
  return el && ["loaded", "error"].includes(el.dataset.state) && [el.dataset.state, el.dataset.shown];
}"""
RENDER_GOAL_MS = 2000
TIMEOUT_MS = 30_000


def timed(client, url: str) -> tuple[float, int]:
    """Median milliseconds and bytes of a GET."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _repeat in range(REPEAT):
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
    incidents = db.session.execute(
        sa.select(Incident.latitude, Incident.longitude, Incident.title)
        .where(Incident.latitude.is_not(None))
        .limit(rows)
    ).all()
    fmap = folium.Map(location=[-9.19, -75.02], zoom_start=5)
    for lat, lon, title in incidents:
        folium.Marker([lat, lon], popup=title).add_to(fmap)
    html = fmap.get_root().render()
    return (time.perf_counter() - started) * 1000, len(html.encode())


@contextmanager
def chromium():
    """Headless Chromium through Playwright, as the browser tests launch it."""
    if not CHROMIUM.exists():
        sys.exit(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) or pass --no-browser.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served(app):
    """The app on a free local port, served by werkzeug in a background thread."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server(HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="bench-server", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class Visits:
    """New browser contexts on the live server (each with an empty HTTP cache) that block
    every request leaving 127.0.0.1 and count them in `blocked`."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url, self.blocked = browser, base_url, []
        with self.context() as context:
            page = context.new_page()
            log_in_page(page, REVIEWER)
            assert "/auth/login" not in page.url, "the bench reviewer could not log in"
            self.signed_in = context.storage_state()

    @contextmanager
    def context(self, storage_state=None):
        context = self.browser.new_context(
            base_url=self.base_url, storage_state=storage_state, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route(FOREIGN, self.block)
        try:
            yield context
        finally:
            context.close()

    def block(self, route) -> None:
        self.blocked.append(route.request.url)
        route.abort()

    def render(self, url: str, signed_in: bool) -> tuple[float, str]:
        """Open `url` in a fresh context; the milliseconds from page.goto until the map's
        layer has rendered, and the layer it says it shows (data-shown)."""
        with self.context(self.signed_in if signed_in else None) as context:
            page, errors = context.new_page(), []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
            try:
                state, shown = page.wait_for_function(SETTLED).json_value()
                elapsed = (time.perf_counter() - started) * 1000
            except PlaywrightTimeoutError:
                state = f"not loaded after {TIMEOUT_MS:,} ms"
            if state != "loaded":
                raise RuntimeError(f"the map at {url}: data-state={state}; JavaScript errors: {errors}")
            return elapsed, shown


def render_times(app, browser) -> tuple[list[list], int]:
    """[page, layer (shown), median ms, goal] per page and layer, and how many requests
    were blocked."""
    with served(app) as base_url:
        visits = Visits(browser, base_url)
        rows = []
        for path, signed_in in PAGES.items():
            for layer, query in LAYERS.items():
                _, shown = visits.render(path + query, signed_in)  # warm-up
                ms = statistics.median(visits.render(path + query, signed_in)[0] for _ in range(REPEAT))
                rows.append([path, f"{layer} ({shown})", ms, "met" if ms <= RENDER_GOAL_MS else "missed"])
        return rows, len(visits.blocked)


def measure(kind: str, workdir: Path, csv_path: Path, naive_rows: int, browser):
    """Server times and bytes by request label; the browser rows (None without a browser)."""
    # boundaries: for the choropleth, the outlines and the public centroids
    with loaded_app(kind, workdir, csv_path, boundaries=True) as app:
        times = request_times(app)
        times[f"naive folium, {naive_rows:,} markers"] = naive_folium(naive_rows)
        return times, render_times(app, browser) if browser else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--naive-rows", type=int, default=10_000)
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium render times")
    args = parser.parse_args()
    columns, results, rendered = [], [], []
    with nullcontext() if args.no_browser else chromium() as browser, demo_csv(args.rows) as (workdir, csv_path):
        for kind in databases():
            print(f"{kind}: loading and timing")
            times, browser_rows = measure(kind, workdir, csv_path, args.naive_rows, browser)
            results.append(times)
            columns += [f"{kind} ms", f"{kind} KB"]
            if browser_rows:
                rendered.append((kind, *browser_rows))
    print(f"\n{args.rows:,} incidents; median of {REPEAT} requests (naive folium: one run)")
    labels = list(results[0])
    print_table(
        ["request", *columns],
        [[label, *(value for r in results for value in (r[label][0], r[label][1] / 1024))] for label in labels],
    )
    if rendered:
        print(
            f"\nChromium, {args.rows:,} incidents: page.goto until the layer has rendered, median of "
            f"{REPEAT} loads, each in a new context (empty HTTP cache)"
        )
        print_table(
            ["database", "page", "layer", "median ms", f"goal ≤ {RENDER_GOAL_MS:,} ms"],
            [[kind, *row] for kind, rows, _ in rendered for row in rows],
        )
        print("requests blocked (not to 127.0.0.1): " + ", ".join(f"{kind} {blocked}" for kind, _, blocked in rendered))


if __name__ == "__main__":
    main()
