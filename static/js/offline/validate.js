// The check a phone makes before a record waits in its outbox: the incident form's rules as
// the server states them (tracker/incidents/device_rules.py, in the page as JSON), so that what
// waits is what the server will accept. Returns [{id, label, message}] like the server's error
// summary.
(function () {
  "use strict";

  function isDate(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
    const day = new Date(text + "T00:00:00Z");
    return !isNaN(day) && day.toISOString().slice(0, 10) === text;
  }

  function isWebAddress(text) {
    try {
      const url = new URL(text);
      return (url.protocol === "http:" || url.protocol === "https:") && url.hostname.indexOf(".") > 0;
    } catch (e) {
      return false;
    }
  }

  // The first broken rule of one field, or "".
  function fieldProblem(value, rules) {
    const text = value.trim();
    if (!text) return rules.required || "";
    if (rules.date && !isDate(text)) return rules.date;
    if (rules.integer && !/^[+-]?\d+$/.test(text)) return rules.integer;
    if (rules.number && !isFinite(Number(text))) return rules.number;
    if ((rules.integer || rules.number) && "min" in rules && (Number(text) < rules.min || Number(text) > rules.max)) return rules.range;
    if ("length" in rules) {
      const longest = rules.max_length >= 0 ? rules.max_length : Infinity;
      if (text.length > longest || text.length < (rules.min_length || 0)) return rules.length;
    }
    if (rules.url && !isWebAddress(text)) return rules.url;
    return "";
  }

  function labelOf(form, el) {
    const label = form.querySelector('label[for="' + el.id + '"]');
    return label ? label.textContent.trim() : el.name;
  }

  function check(form, rules) {
    const found = [];
    function add(el, label, message) { found.push({ id: el.id, label: label, message: message }); }
    function value(name) { const el = form.elements[name]; return el ? el.value.trim() : ""; }

    Object.keys(rules.fields).forEach(function (name) {
      const el = form.elements[name];
      if (!el) return;
      const message = fieldProblem(el.value, rules.fields[name]);
      if (message) add(el, labelOf(form, el), message);
    });

    const date = value("date");
    const end = value("end_date");
    if (isDate(date) && isDate(end) && end < date) add(form.elements.end_date, labelOf(form, form.elements.end_date), rules.cross.end_before_start);

    const lat = value("latitude");
    const lon = value("longitude");
    const longitude = form.elements.longitude;
    if (longitude && (lat === "") !== (lon === "")) add(longitude, labelOf(form, longitude), rules.cross.one_coordinate);
    else if (lat !== "" && isFinite(lat) && isFinite(lon) && value("country").toUpperCase() === rules.bounds.country) {
      const inside = function (a, b) {
        return a >= rules.bounds.lat[0] && a <= rules.bounds.lat[1] && b >= rules.bounds.lon[0] && b <= rules.bounds.lon[1];
      };
      if (!inside(Number(lat), Number(lon))) {
        add(longitude, labelOf(form, longitude), inside(Number(lon), Number(lat)) ? rules.cross.swapped : rules.cross.outside);
      }
    }

    Object.keys(rules.rows).forEach(function (kind) {
      const row = rules.rows[kind];
      const block = form.querySelector('[data-rows="' + kind + '"]');
      if (!block) return;
      const title = block.querySelector("legend").textContent.trim();
      block.querySelectorAll(".row-list [data-row]").forEach(function (item, index) {
        const fields = {};
        item.querySelectorAll("[name]").forEach(function (el) { fields[el.name.split("-").slice(2).join("-")] = el; });
        const blank = Object.keys(fields).every(function (name) {
          const el = fields[name];
          return row.defaulted.indexOf(name) >= 0 || el.type === "checkbox" || !el.value.trim();
        });
        if (blank) return;
        const prefix = title + " " + (index + 1) + ": ";
        if (fields[row.key] && !fields[row.key].value) add(fields[row.key], prefix + labelOf(form, fields[row.key]), row.key_missing);
        Object.keys(row.fields).forEach(function (name) {
          const el = fields[name];
          const message = el && fieldProblem(el.value, row.fields[name]);
          if (message) add(el, prefix + labelOf(form, el), message);
        });
      });
    });
    return found;
  }

  window.trackerValidate = { check: check };
})();
