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

  // Today on the phone, as year-month-day (the server checks again with its own clock).
  function today() {
    const now = new Date();
    return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  // A protection request's rules across its fields (RequestForm in tracker/incidents/forms.py):
  // [field name, rule] for each broken one, the first per field.
  function requestProblems(fields, item) {
    const found = [];
    function day(name) { const el = fields[name]; return el && isDate(el.value.trim()) ? el.value.trim() : ""; }
    function add(name, rule) { if (!found.some(function (p) { return p[0] === name; })) found.push([name, rule]); }
    const decision = fields.decision ? fields.decision.value : "pending";
    const filed = day("filed_on");
    const decided = day("decided_on");
    const end = day("measures_end");
    if (filed && filed > today()) add("filed_on", "future");
    if (decided && decision === "pending") add("decided_on", "pending_decided");
    if (decided && decided > today()) add("decided_on", "future");
    if (decided && filed && decided < filed) add("decided_on", "decided_before_filed");
    if (item.querySelector('input[type=checkbox][name$="-measures"]:checked') && decision !== "granted") add("measures", "measures_not_granted");
    if (end && decision !== "granted") add("measures_end", "end_not_granted");
    if (end && decided && end < decided) add("measures_end", "end_before_decided");
    return found;
  }
  const ROW_CROSS = { requests: requestProblems };

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
        if (ROW_CROSS[kind] && row.cross) {
          ROW_CROSS[kind](fields, item).forEach(function (problem) {
            const el = fields[problem[0]];
            // a group of boxes is named by its legend, and linked to by its fieldset
            const group = el.type === "checkbox" ? el.closest("fieldset") : null;
            const label = group ? group.querySelector("legend").textContent.trim() : labelOf(form, el);
            add(group || el, prefix + label, row.cross[problem[1]]);
          });
        }
      });
    });
    return found;
  }

  window.trackerValidate = { check: check };
})();
