// Warns while the monitor types when the title or description of an incident shown to the
// public or partners names a victim, an organisation or a restricted place typed in the same
// form: the rule of tracker/incidents/exposure.py, which the save checks again.
(function () {
  "use strict";
  const form = document.getElementById("incident-form");
  const warning = document.getElementById("exposure-warning");
  if (!form || !warning) return;
  const NAME_WORD_MIN = 4;

  function words(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  }

  function contains(list, phrase) {
    for (let i = 0; phrase.length && i + phrase.length <= list.length; i++) {
      if (phrase.every(function (w, j) { return list[i + j] === w; })) return true;
    }
    return false;
  }

  function value(name) {
    const el = form.elements[name];
    return el ? el.value : "";
  }

  function exposed() {
    const visibility = value("visibility");
    if (visibility !== "public" && visibility !== "partners") return [];
    const text = words(value("title") + " " + value("description"));
    const found = [];
    function check(raw, byWord) {
      const shown = (raw || "").trim();
      const phrase = words(shown);
      if (!shown || found.indexOf(shown) !== -1) return;
      const hit = contains(text, phrase) ||
        (byWord && phrase.some(function (w) { return w.length >= NAME_WORD_MIN && text.indexOf(w) !== -1; }));
      if (hit) found.push(shown);
    }
    form.querySelectorAll("[name$='-name']").forEach(function (el) {
      if (/^victims-\d+-name$/.test(el.name)) check(el.value, true);
    });
    form.querySelectorAll("[name$='-organisation']").forEach(function (el) { check(el.value, false); });
    if (!(visibility === "public" && value("public_location") === "exact")) check(value("place"), false);
    return found;
  }

  function update() {
    const names = exposed();
    warning.hidden = names.length === 0;
    warning.textContent = names.length ? warning.dataset.template.replace("__NAMES__", names.join(", ")) : "";
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
