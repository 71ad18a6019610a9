// Saving a new incident. Every save first keeps a sealed copy in the outbox (seal.js,
// store.js) under a new UUID, which the form also posts (receipts.py stores a UUID once):
// - the server there and the user signed in: the form posts as always; if the save fails on the
//   way (a server error, a session that ended), the copy is sent later; if it succeeds, sending
//   the copy finds it stored and drops it;
// - otherwise the record is first checked on the phone (validate.js), so what waits is what the
//   server will accept, and then waits in the outbox until sync.js can send it.
// Nothing typed is kept readable on the phone.
(function () {
  "use strict";
  const form = document.querySelector("form[data-offline]");
  const rulesEl = document.getElementById("device-rules");
  const keyEl = document.getElementById("outbox-key");
  if (!form || !rulesEl || !keyEl || !window.trackerSync || !window.crypto || !crypto.subtle) return;
  const rules = JSON.parse(rulesEl.textContent);
  const publicKey = JSON.parse(keyEl.textContent);
  const note = document.getElementById("offline-note");
  const summary = document.getElementById("device-errors");
  const LOW_SPACE = 5 * 1024 * 1024;
  let posting = false;

  function show(el, text) {
    el.textContent = text;
    el.hidden = false;
    el.focus();
  }

  function showProblems(problems) {
    const list = summary.querySelector("ul");
    list.replaceChildren();
    problems.forEach(function (p) {
      const a = document.createElement("a");
      a.href = "#" + p.id;
      a.textContent = p.label + ": " + p.message;
      const item = document.createElement("li");
      item.append(a);
      list.append(item);
    });
    summary.hidden = false;
    summary.focus();
  }

  // What the form would post, as [name, value] pairs (the CSRF token stays behind: the sync
  // endpoint does not use it, and it means nothing hours later).
  function fields(submitter) {
    const pairs = [];
    new FormData(form, submitter).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") pairs.push([name, value]);
    });
    return pairs;
  }

  async function queue(submitter, uuid) {
    const pairs = fields(submitter);
    const envelope = await trackerSeal.seal({ owner: trackerSync.owner, fields: pairs }, uuid, publicKey);
    await trackerOutbox.add({
      uuid: uuid,
      owner: trackerSync.owner,
      queued_at: new Date().toISOString(),
      date: form.elements.date.value,
      violations: pairs.filter(function (p) { return p[0] === "violations"; }).map(function (p) { return p[1]; }),
      envelope: envelope,
    });
    // the sealed copy stands for everything typed: the tab's copy of the choices is not needed
    if (window.trackerFormKeeper) window.trackerFormKeeper.clear();
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
  }

  form.addEventListener("submit", async function (event) {
    if (posting) return;
    event.preventDefault();
    const submitter = event.submitter;
    summary.hidden = true;
    const uuid = crypto.randomUUID();
    form.elements.client_uuid.value = uuid;
    const server = await trackerSync.reachable();
    if (server === "yes") {
      try { await queue(submitter, uuid); } catch (e) { /* the post below still saves it */ }
      posting = true;
      form.requestSubmit(submitter);
      return;
    }
    const problems = trackerValidate.check(form, rules);
    if (problems.length) { showProblems(problems); return; }
    try {
      await queue(submitter, uuid);
    } catch (e) {
      // The form keeps everything typed: nothing is lost, the monitor is told why.
      show(note, e && e.name === "QuotaExceededError" ? note.dataset.full : note.dataset.failed);
      return;
    }
    sessionStorage.setItem("tracker-queued", server);
    window.location.assign(form.dataset.offline);
  });

  // Warn before typing, not after, when the phone is almost out of room.
  if (navigator.storage && navigator.storage.estimate) {
    navigator.storage.estimate().then(function (estimate) {
      if (estimate.quota - estimate.usage < LOW_SPACE) show(note, note.dataset.low);
    });
  }
})();
