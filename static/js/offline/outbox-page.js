// The outbox page: lists what waits on this phone (store.js) by date, violation and the time it
// was saved, deletes a record after asking, sends on request, and says how much room the
// browser keeps for the tracker.
(function () {
  "use strict";
  const table = document.getElementById("outbox-table");
  if (!table || !window.trackerSync) return;
  const texts = document.getElementById("outbox-texts").dataset;
  const labels = JSON.parse(texts.labels);
  const template = document.getElementById("outbox-row");

  function draw(mine, others) {
    const body = table.querySelector("tbody");
    body.replaceChildren();
    mine.forEach(function (record) {
      const row = template.content.firstElementChild.cloneNode(true);
      row.dataset.uuid = record.uuid;
      row.querySelector("[data-date]").textContent = record.date || "–";
      row.querySelector("[data-violations]").textContent =
        record.violations.map(function (code) { return labels[code] || code; }).join(", ") || "–";
      row.querySelector("[data-queued]").textContent = new Date(record.queued_at).toLocaleString(document.documentElement.lang);
      row.querySelector("[data-state]").textContent = record.problem || texts.waiting;
      row.querySelector("[data-delete]").addEventListener("click", function () {
        if (window.confirm(texts.confirmDelete)) trackerOutbox.remove(record.uuid).then(trackerSync.refresh);
      });
      body.append(row);
    });
    table.hidden = !mine.length;
    document.getElementById("outbox-empty").hidden = mine.length > 0;
    const note = document.getElementById("outbox-others");
    note.textContent = note.dataset.template.replace("%n", others);
    note.hidden = others === 0;
  }

  async function showStorage() {
    const el = document.getElementById("storage-estimate");
    if (!navigator.storage || !navigator.storage.estimate) return;
    const estimate = await navigator.storage.estimate();
    const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
    const mb = function (bytes) { return (bytes / 1048576).toFixed(1); };
    el.textContent = el.dataset.template.replace("%quota", mb(estimate.quota)).replace("%used", mb(estimate.usage)) +
      " " + (persisted ? el.dataset.persisted : el.dataset.notPersisted);
    el.hidden = false;
  }

  const queued = sessionStorage.getItem("tracker-queued");
  if (queued) {
    sessionStorage.removeItem("tracker-queued");
    const note = document.getElementById("queued-note");
    note.textContent = queued === "signed-out" ? note.dataset.signedOut : note.dataset.no;
    note.hidden = false;
    note.focus();
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) { if (!window.confirm(form.dataset.confirm)) event.preventDefault(); });
  });
  document.getElementById("send-now").addEventListener("click", function () { trackerSync.sendNow(); });
  trackerSync.onChange(draw);
  trackerSync.refresh();
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().then(showStorage);
  else showStorage();
})();
