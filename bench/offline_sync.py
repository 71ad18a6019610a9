"""A phone back online: seconds from the moment its outbox starts sending (what the browser's
`online` event, a page load or "Send now" start: trackerSync.sendNow()) until every record
is stored, for outboxes of --sizes records, in headless Chromium against gunicorn as
gunicorn.conf.py deploys it, on SQLite and PostgreSQL. The records are sealed in the page by
the app's own code (static/js/offline/seal.js) from one filled incident form. Baseline: the
same number of other records sent the naive way, one request per record, one after another.
Then what the service worker keeps (Cache Storage, bytes) after a monitor opened the form,
against a naive service worker that kept every file under static/.
Goals: 500 records stored in <= 30 s; the service worker's cache <= 5 MB.

    .venv/bin/python bench/offline_sync.py [--sizes 1,50,500] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from _common import PASSWORD, bench_app, databases, fresh_database, log_in_page, print_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' served app

from tests.outbox import pairs  # noqa: E402
from tests.served import gunicorn  # noqa: E402
from tracker.auth.service import create_user  # noqa: E402
from tracker.config import PROJECT_ROOT  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Incident  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
MONITOR = "bench-monitor@example.org"
MB = 1024 * 1024
# Seal `count` copies of the form's fields into the outbox, each under a new UUID.
FILL = """async ([count, fields]) => {
  const key = JSON.parse(document.getElementById("outbox-key").textContent);
  for (let i = 0; i < count; i++) {
    const uuid = crypto.randomUUID();
    const envelope = await trackerSeal.seal({ owner: trackerSync.owner, fields }, uuid, key);
    await trackerOutbox.add({ uuid, owner: trackerSync.owner, queued_at: new Date().toISOString(),
                              date: "2024-05-10", violations: ["threat"], envelope });
  }
}"""
SEND = """async () => { const started = performance.now(); await trackerSync.sendNow();
  const left = (await trackerOutbox.all()).length; return [(performance.now() - started) / 1000, left]; }"""
# The naive way: each record in a request of its own, one after another.
SEND_ONE_BY_ONE = """async () => {
  const started = performance.now();
  for (const record of await trackerOutbox.all()) {
    const answer = await fetch("/offline/sync", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Tracker-Sync": "1" },
      body: JSON.stringify({ records: [record.envelope] }) });
    if ((await answer.json()).results[0].outcome === "stored") await trackerOutbox.remove(record.uuid);
  }
  return [(performance.now() - started) / 1000, (await trackerOutbox.all()).length];
}"""
CACHED_BYTES = """async () => {
  let bytes = 0, entries = 0;
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) { bytes += (await (await cache.match(request)).blob()).size; entries++; }
  }
  return [bytes, entries];
}"""
KEPT = """async () => { for (const name of await caches.keys())
  if (await (await caches.open(name)).match("/incidents/new")) return true; return false; }"""


def _stored(url: str, workdir: Path) -> int:
    with bench_app(url, workdir):
        return db.session.scalar(sa.select(sa.func.count(Incident.id))) or 0


def _signed_in_page(browser, base: str):
    context = browser.new_context(base_url=base)
    context.set_default_timeout(120_000)
    page = context.new_page()
    log_in_page(page, MONITOR)
    page.goto("/incidents/new")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    deadline = time.monotonic() + 30
    while not page.evaluate(KEPT) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return context, page


def _run(browser, kind: str, sizes: list[int], workers: int) -> tuple[list[list], tuple[int, int]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, fresh_database(kind, Path(tmp)) as url:
        workdir = Path(tmp)
        with bench_app(url, workdir):
            create_user(MONITOR, "monitor", PASSWORD)
            db.session.commit()
        with gunicorn(url, workdir / "instance", workers) as base:
            context, page = _signed_in_page(browser, base)
            cached = page.evaluate(CACHED_BYTES)
            fields = pairs()
            page.evaluate(FILL, [1, fields])  # a first request to each worker loads the app's heavier modules
            page.evaluate(SEND)
            for size in sizes:
                timings = {}
                for way, script in (("batched", SEND), ("one by one", SEND_ONE_BY_ONE)):
                    print(f"{kind}: {size} records, {way} …", file=sys.stderr)
                    before = _stored(url, workdir)
                    page.evaluate(FILL, [size, fields])
                    seconds, left = page.evaluate(script)
                    stored = _stored(url, workdir) - before
                    assert left == 0 and stored == size, f"{way}: {stored} of {size} stored, {left} left"
                    timings[way] = seconds
                batched, naive = timings["batched"], timings["one by one"]
                rows.append([kind, size, f"{batched:.2f}", f"{naive:.2f}", f"{naive / batched:.1f}"])
            context.close()
    return rows, cached


def _static_bytes() -> int:
    return sum(path.stat().st_size for path in (PROJECT_ROOT / "static").rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,50,500")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    if not CHROMIUM.exists():
        sys.exit(f"Chromium is needed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    rows, cached = [], (0, 0)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        for kind in databases():
            found, cached = _run(browser, kind, sizes, args.workers)
            rows += found
        browser.close()
    print_table(["database", "records", "stored in s", "one by one s (baseline)", "baseline / ours"], rows)
    print()
    print_table(
        ["what the service worker keeps", "entries", "MB"],
        [
            ["the tracker's (after the form was opened)", cached[1], f"{cached[0] / MB:.2f}"],
            ["naive: every file under static/ (baseline)", "", f"{_static_bytes() / MB:.2f}"],
        ],
    )


if __name__ == "__main__":
    main()
