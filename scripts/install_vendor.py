"""Copy the browser libraries installed by `npm ci` into static/vendor/, where the app serves
them itself (no CDN). Run by `make vendor`; add a line to VENDOR_FILES to ship another file.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# (source under node_modules/, destination under static/vendor/); a source ending in "/*"
# copies every file of that folder.
VENDOR_FILES = [
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.js.map", "leaflet/leaflet.js.map"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/images/*", "leaflet/images/"),
    ("leaflet/LICENSE", "leaflet/LICENSE"),
    ("leaflet.markercluster/dist/leaflet.markercluster.js", "leaflet.markercluster/leaflet.markercluster.js"),
    ("leaflet.markercluster/dist/leaflet.markercluster.js.map", "leaflet.markercluster/leaflet.markercluster.js.map"),
    ("leaflet.markercluster/dist/MarkerCluster.css", "leaflet.markercluster/MarkerCluster.css"),
    ("leaflet.markercluster/dist/MarkerCluster.Default.css", "leaflet.markercluster/MarkerCluster.Default.css"),
    ("leaflet.markercluster/MIT-LICENCE.txt", "leaflet.markercluster/MIT-LICENCE.txt"),
    ("leaflet.heat/dist/leaflet-heat.js", "leaflet.heat/leaflet-heat.js"),
    ("leaflet.heat/LICENSE", "leaflet.heat/LICENSE"),
    # the service worker's library (templates/offline/sw.js loads its modules from here)
    ("workbox-sw/build/workbox-sw.js", "workbox/workbox-sw.js"),
    ("workbox-core/build/workbox-core.prod.js", "workbox/workbox-core.prod.js"),
    ("workbox-precaching/build/workbox-precaching.prod.js", "workbox/workbox-precaching.prod.js"),
    ("workbox-routing/build/workbox-routing.prod.js", "workbox/workbox-routing.prod.js"),
    ("workbox-strategies/build/workbox-strategies.prod.js", "workbox/workbox-strategies.prod.js"),
    ("workbox-sw/LICENSE", "workbox/LICENSE"),
    # IndexedDB with promises, for the phone's outbox (static/js/offline/store.js)
    ("idb/build/umd.js", "idb/umd.js"),
    ("idb/LICENSE", "idb/LICENSE"),
]


def install() -> int:
    if not NODE_MODULES.is_dir():
        print("node_modules/ is missing: run `npm ci` first (or `make vendor`)", file=sys.stderr)
        return 1
    if VENDOR.exists():
        shutil.rmtree(VENDOR)  # no stale files from an older package version
    copied = 0
    for source, destination in VENDOR_FILES:
        if source.endswith("/*"):
            sources = sorted(p for p in (NODE_MODULES / source[:-2]).iterdir() if p.is_file())
            if not sources:
                print(f"nothing to copy in node_modules/{source}", file=sys.stderr)
                return 1
            targets = [VENDOR / destination / p.name for p in sources]
        else:
            sources, targets = [NODE_MODULES / source], [VENDOR / destination]
        for src, dst in zip(sources, targets, strict=True):
            if not src.is_file():
                print(f"missing node_modules/{source}: is package-lock.json up to date?", file=sys.stderr)
                return 1
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            copied += 1
    print(f"static/vendor/: {copied} files")
    return 0


if __name__ == "__main__":
    sys.exit(install())
