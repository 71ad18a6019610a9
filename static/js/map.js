// The incident map: asks the server for the incidents in view (/map/data or
// /public/map/data, with the page's filters, bbox and zoom) whenever the map moves, and
// draws them as clustered points, a choropleth by region or a heat map. The server does the
// counting and the generalisation; this file only draws. folium builds the Leaflet map
// itself (tracker/maps/page.py: tiles or none, the first view) in the page's one inline
// script, which carries the CSP nonce; this file finds it by the name in data-map-name. The
// page's other settings arrive as data- attributes of #incident-map. Beneath the tiles it
// always draws the department outlines, so the map still shows where things are when no
// tile server is configured or none answers.
(function () {
  "use strict";
  const el = document.getElementById("incident-map");
  if (!el || !window.L) return;
  const cfg = el.dataset;
  const map = window[cfg.mapName];
  if (!map) return;
  const countEl = document.getElementById("map-count");
  const statusEl = document.getElementById("map-status");
  const COLOURS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
  const MAP_PARAMS = ["bbox", "zoom", "layer", "level"];
  const DEBOUNCE_MS = 250;

  // One entry per switchable layer: the Leaflet layer shown, and how to fill it.
  const layers = {
    points: { group: L.layerGroup(), label: cfg.labelPoints, params: { layer: "points" }, draw: drawPoints },
    admin1: { group: L.layerGroup(), label: cfg.labelRegions, params: { layer: "regions", level: "admin1" }, draw: drawRegions, fixed: true },
    admin2: { group: L.layerGroup(), label: cfg.labelRegions2, params: { layer: "regions", level: "admin2" }, draw: drawRegions, fixed: true },
    heat: { group: L.layerGroup(), label: cfg.labelHeat, params: { layer: "heat" }, draw: drawHeat },
  };
  const chooser = {};
  Object.keys(layers).forEach(function (key) { chooser[layers[key].label] = layers[key].group; });
  let current = cfg.layer === "regions" ? cfg.level : cfg.layer;
  if (!layers[current]) current = "points";
  layers[current].group.addTo(map);
  L.control.layers(chooser, null, { collapsed: false }).addTo(map);

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = function () { return L.DomUtil.create("div", "map-legend"); };

  function filterParams() {
    const params = new URLSearchParams(window.location.search);
    MAP_PARAMS.forEach(function (name) { params.delete(name); });
    return params;
  }

  function dataUrl(key) {
    const params = filterParams();
    const b = map.getBounds();
    const clip = function (v, lim) { return Math.max(-lim, Math.min(lim, v)).toFixed(4); };
    params.set("bbox", [clip(b.getWest(), 180), clip(b.getSouth(), 90), clip(b.getEast(), 180), clip(b.getNorth(), 90)].join(","));
    params.set("zoom", String(map.getZoom()));
    Object.entries(layers[key].params).forEach(function (entry) { params.set(entry[0], entry[1]); });
    return cfg.dataUrl + "?" + params.toString();
  }

  function text(tag, content, parent) {
    const node = L.DomUtil.create(tag, "", parent);
    node.textContent = content;
    return node;
  }

  function link(href, label, parent) {
    if (!href) return;
    const a = text("a", label, text("p", "", parent));
    a.href = href;
  }

  function countIcon(count, extra) {
    const size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    return L.divIcon({ html: "<div><span>" + count + "</span></div>", iconSize: [40, 40],
                       className: "marker-cluster marker-cluster-" + size + " " + extra });
  }

  function incidentPopup(p) {
    const box = L.DomUtil.create("div", "map-popup");
    text("strong", p.title, box);
    text("div", p.date + (p.ref ? " · " + p.ref : ""), box);
    const list = L.DomUtil.create("ul", "", box);
    p.violations.forEach(function (v) { text("li", v.label, list); });
    link(p.link, cfg.labelOpen, box);
    return box;
  }

  function placePopup(p) {
    const box = L.DomUtil.create("div", "map-popup");
    text("strong", cfg.labelMerged.replace("{n}", p.count).replace("{region}", p.region), box);
    link(p.link, cfg.labelList, box);
    return box;
  }

  function drawPoints(data, group) {
    const cluster = L.markerClusterGroup({ chunkedLoading: true });
    data.features.forEach(function (f) {
      const c = f.geometry.coordinates;
      const p = f.properties;
      const at = [c[1], c[0]];
      if (p.kind === "incident") {
        cluster.addLayer(L.marker(at, { title: p.title }).bindPopup(function () { return incidentPopup(p); }));
      } else if (p.kind === "place") {
        group.addLayer(L.marker(at, { icon: countIcon(p.count, "map-place") }).bindPopup(function () { return placePopup(p); }));
      } else {
        group.addLayer(L.marker(at, { icon: countIcon(p.count, "map-cell") })
          .on("click", function () { map.setView(at, map.getZoom() + 2); }));
      }
    });
    group.addLayer(cluster);
  }

  // Up to five classes of equal width over 1..max; fewer when max is small.
  function classBreaks(max) {
    const breaks = [];
    for (let i = 1; i <= COLOURS.length; i++) {
      const upper = Math.ceil((max * i) / COLOURS.length);
      if (upper > 0 && breaks.indexOf(upper) < 0) breaks.push(upper);
    }
    return breaks;
  }

  function colour(count, breaks) {
    if (!count) return "#ffffff";
    const i = breaks.findIndex(function (upper) { return count <= upper; });
    return COLOURS[COLOURS.length - breaks.length + i];
  }

  function regionPopup(p) {
    const box = L.DomUtil.create("div", "map-popup");
    text("strong", p.name, box);
    text("div", cfg.labelFigures.replace("{n}", p.count).replace("{killed}", p.killed), box);
    const list = L.DomUtil.create("ul", "", box);
    p.top.forEach(function (v) { text("li", v.label + " (" + v.count + ")", list); });
    link(p.link, cfg.labelList, box);
    return box;
  }

  function drawLegend(breaks) {
    const box = legend.getContainer();
    box.textContent = "";
    breaks.forEach(function (upper, i) {
      const from = i ? breaks[i - 1] + 1 : 1;
      const row = L.DomUtil.create("div", "", box);
      L.DomUtil.create("i", "", row).style.background = colour(upper, breaks);
      row.appendChild(document.createTextNode(from === upper ? String(from) : from + "–" + upper));
    });
  }

  function drawRegions(data, group) {
    const breaks = classBreaks(data.properties.max);
    group.addLayer(L.geoJSON(data, {
      style: function (f) {
        return { color: "#456", weight: 1, fillOpacity: 0.7, fillColor: colour(f.properties.count, breaks) };
      },
      onEachFeature: function (f, layer) { layer.bindPopup(function () { return regionPopup(f.properties); }); },
    }));
    legend.addTo(map);
    drawLegend(breaks);
  }

  function drawHeat(data, group) {
    const points = data.features.map(function (f) {
      const c = f.geometry.coordinates;
      return [c[1], c[0], f.properties.count || 1];
    });
    const max = points.reduce(function (m, p) { return Math.max(m, p[2]); }, 1);
    group.addLayer(L.heatLayer(points, { radius: 25, max: max }));
  }

  function showCount(props) {
    const total = props.total !== undefined ? props.total : countEl.dataset.total;
    countEl.dataset.total = total;
    let words = cfg.labelTotal.replace("{n}", total);
    if (props.in_view !== undefined) {
      countEl.dataset.inView = props.in_view;
      words += " · " + cfg.labelInView.replace("{n}", props.in_view);
    }
    countEl.textContent = words;
  }

  let pending = null;  // the request under way: { key, controller }
  let loadedFixed = null;  // region layers do not depend on the view: load them once

  function load() {
    const key = current;
    const entry = layers[key];
    if (entry.fixed && (loadedFixed === key || (pending && pending.key === key))) return;
    if (pending) pending.controller.abort();
    const request = { key: key, controller: new AbortController() };
    pending = request;
    el.dataset.state = "loading";
    fetch(dataUrl(key), { credentials: "same-origin", signal: request.controller.signal })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) throw new Error(res.body.error || cfg.labelError);
        if (key !== current) return;
        entry.group.clearLayers();
        entry.draw(res.body, entry.group);
        loadedFixed = entry.fixed ? key : null;
        showCount(res.body.properties);
        statusEl.textContent = "";
        el.dataset.state = "loaded";
        el.dataset.shown = key;
      })
      .catch(function (err) {
        if (err.name === "AbortError") return;
        statusEl.textContent = err.message || cfg.labelError;
        el.dataset.state = "error";
      })
      .finally(function () { if (pending === request) pending = null; });
  }

  // The downloads (images, HTML file) draw the region level last chosen (departments until then).
  function setDownloadLevel(level) {
    document.querySelectorAll("a[data-map-download]").forEach(function (a) {
      const url = new URL(a.href);
      url.searchParams.set("level", level);
      a.href = url.toString();
    });
  }

  let timer = null;
  map.on("moveend", function () {
    clearTimeout(timer);
    timer = setTimeout(load, DEBOUNCE_MS);
  });
  map.on("baselayerchange", function (e) {
    const key = Object.keys(layers).find(function (k) { return layers[k].group === e.layer; });
    Object.keys(layers).forEach(function (k) { if (k !== key) layers[k].group.clearLayers(); });
    loadedFixed = null;
    if (!layers[key].fixed) legend.remove();
    current = key;
    const params = new URLSearchParams(window.location.search);
    Object.entries({ layer: layers[key].params.layer, level: layers[key].params.level || "" }).forEach(function (entry) {
      if (entry[1]) params.set(entry[0], entry[1]); else params.delete(entry[0]);
    });
    history.replaceState(null, "", "?" + params.toString());
    if (layers[key].params.level) setDownloadLevel(layers[key].params.level);
    load();
  });

  // The first view is already fitted (folium does it without animation): ask for its data
  // now, before the backdrop, so it is first in line at the server.
  load();
  // Below the tile pane (z-index 200): loaded tiles cover the outlines, missing ones leave them seen.
  const outlinesPane = map.createPane("outlines");
  outlinesPane.style.zIndex = 150;
  outlinesPane.style.pointerEvents = "none";
  fetch(cfg.dataUrl + "?layer=outlines", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (data && data.features.length) {
        L.geoJSON(data, { pane: "outlines", interactive: false, style: { color: "#456", weight: 1, fill: false } }).addTo(map);
      }
    })
    .catch(function () { /* outlines are a backdrop; the data layers work without them */ });
})();
