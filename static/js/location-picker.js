// A small Leaflet map in the incident form: clicking it fills latitude and longitude,
// typing coordinates moves the marker. Tiles come from the configured tile URL, if any;
// beneath them the map always draws the department outlines served by this application,
// so it still shows where things are when no tile server is configured or none answers.
(function () {
  "use strict";
  const el = document.getElementById("location-map");
  if (!el || !window.L) return;
  const lat = document.getElementById("latitude");
  const lon = document.getElementById("longitude");
  const map = L.map(el).setView([-9.19, -75.02], 5);
  // Below the tile pane (z-index 200): loaded tiles cover the outlines, missing ones leave them seen.
  const outlinesPane = map.createPane("outlines");
  outlinesPane.style.zIndex = 150;
  outlinesPane.style.pointerEvents = "none";
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  fetch(el.dataset.outlinesUrl, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (data && data.features && data.features.length) {
        L.geoJSON(data, { pane: "outlines", interactive: false, style: { color: "#456", weight: 1, fillOpacity: 0.05 } }).addTo(map);
      }
    })
    .catch(function () { /* outlines are a convenience; the form works without them */ });
  let marker = null;

  function place(latitude, longitude, pan) {
    if (isNaN(latitude) || isNaN(longitude)) return;
    if (marker) marker.setLatLng([latitude, longitude]);
    else marker = L.marker([latitude, longitude]).addTo(map);
    if (pan) map.setView([latitude, longitude], Math.max(map.getZoom(), 8));
  }

  map.on("click", function (e) {
    lat.value = e.latlng.lat.toFixed(5);
    lon.value = e.latlng.lng.toFixed(5);
    place(e.latlng.lat, e.latlng.lng, false);
    lat.dispatchEvent(new Event("input", { bubbles: true }));
  });
  [lat, lon].forEach(function (input) {
    input.addEventListener("change", function () { place(parseFloat(lat.value), parseFloat(lon.value), true); });
  });
  place(parseFloat(lat.value), parseFloat(lon.value), true);
})();
