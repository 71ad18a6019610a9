// Keeps the choices a monitor makes in the incident form (selects, boxes, dates, numbers) in
// this tab's sessionStorage, so that a timed-out session or an accidental reload does not lose
// them. Nothing typed as text is kept, nor the coordinates, nor any field of a protection request:
// names, places, sources and requests never lie readable on the phone. Text is kept by saving, which with no signal seals it in the outbox
// (static/js/offline/entry.js). The copy is restored when the form is opened again and removed
// once the incident is saved or the user logs out.
(function () {
  "use strict";
  const PREFIX = "tracker-form:";

  function clearAll() {
    Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf(PREFIX) === 0) sessionStorage.removeItem(k); });
  }

  if (document.querySelector("[data-clear-kept]")) clearAll();
  const logout = document.getElementById("logout");
  if (logout) logout.addEventListener("click", clearAll);
  window.trackerFormKeeper = { clear: clearAll };

  const form = document.querySelector("form[data-keep]");
  if (!form) return;
  const key = PREFIX + form.dataset.keep;
  const SKIP = { csrf_token: true, version: true, latitude: true, longitude: true };
  const KEPT_TYPES = { "select-one": true, "select-multiple": true, checkbox: true, radio: true, date: true, number: true };

  function save() {
    const values = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      // a protection request, even its dates and decision, says someone asked for protection
      if (!el.name || SKIP[el.name] || el.name.indexOf("requests-") === 0 || !KEPT_TYPES[el.type]) return;
      if (el.type === "checkbox" || el.type === "radio") values.push([el.name, el.value, el.checked]);
      else values.push([el.name, el.value, null]);
    });
    sessionStorage.setItem(key, JSON.stringify(values));
  }

  function ensureRow(name) {
    const m = name.match(/^([a-z_]+)-(\d+)-/);
    if (!m || form.querySelector('[name="' + name + '"]')) return;
    const block = form.querySelector('[data-rows="' + m[1] + '"]');
    if (block && window.trackerRows) window.trackerRows.addRow(block, parseInt(m[2], 10));
  }

  function restore() {
    const raw = sessionStorage.getItem(key);
    if (!raw) return false;
    const values = JSON.parse(raw);
    values.forEach(function (entry) { ensureRow(entry[0]); });
    values.forEach(function (entry) {
      const [name, value, checked] = entry;
      const els = form.querySelectorAll('[name="' + name + '"]');
      els.forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") { if (el.value === value) el.checked = checked; }
        else el.value = value;
      });
    });
    return true;
  }

  // On a fresh GET the kept copy wins (it is newer than what the server has); after a
  // POST the server's re-rendered form already holds the user's input. The page's note says
  // so, with a button that throws the copy away and shows the form as stored.
  const note = document.getElementById("restored-note");
  if (form.dataset.restore === "1" && restore() && note) {
    note.hidden = false;
    document.getElementById("discard-kept").addEventListener("click", function () {
      sessionStorage.removeItem(key);
      window.location.reload();
    });
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
})();
