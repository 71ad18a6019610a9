// The new-incident form when the server cannot be reached, or no longer knows the user (a
// session that ended): the record is checked on the phone (validate.js), sealed (seal.js) and
// kept in the outbox (store.js) until sync.js can send it. With the server there and the user
// signed in, the form posts as always.
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

  async function queue(submitter) {
    const uuid = crypto.randomUUID();
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
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
  }

  form.addEventListener("submit", async function (event) {
    if (posting) return;
    event.preventDefault();
    const submitter = event.submitter;
    summary.hidden = true;
    const server = await trackerSync.reachable();
    if (server === "yes") {
      posting = true;
      form.requestSubmit(submitter);
      return;
    }
    const problems = trackerValidate.check(form, rules);
    if (problems.length) { showProblems(problems); return; }
    try {
      await queue(submitter);
    } catch (e) {
      // The form keeps everything typed: nothing is lost, the monitor is told why.
      show(note, e && e.name === "QuotaExceededError" ? note.dataset.full : note.dataset.failed);
      return;
    }
    if (window.trackerFormKeeper) window.trackerFormKeeper.clear();
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
