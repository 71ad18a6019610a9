// On every page of an account that records incidents: registers the service worker, sends the
// outbox (store.js) to the server at start, when the browser comes back online, on "Send now",
// and again with a growing pause after a failure, and clears the phone at logout. The server
// stores each record once whatever is sent twice (tracker/offline/service.py); a record leaves
// the phone only when the server's answer names where it now is.
(function () {
  "use strict";
  const config = document.getElementById("offline-config");
  if (!config || !window.trackerOutbox) return;
  const cfg = config.dataset;
  const owner = parseInt(cfg.user, 10);
  const BATCH = 50; // tracker/offline/service.py MAX_RECORDS
  const FIRST_PAUSE = 5000;
  const LONGEST_PAUSE = 5 * 60 * 1000;
  let pause = FIRST_PAUSE;
  let retry = null;
  let sending = null;
  const listeners = [];

  function say(text, links) {
    const box = document.getElementById("outbox-status");
    if (!box) return;
    box.textContent = text;
    (links || []).forEach(function (link) {
      const a = document.createElement("a");
      a.href = link.url;
      a.textContent = link.text;
      box.append(" ", a);
    });
    box.hidden = !text;
  }

  function own(records) { return records.filter(function (r) { return r.owner === owner; }); }

  async function showCount() {
    const all = await trackerOutbox.all();
    const mine = own(all);
    const count = document.getElementById("outbox-count");
    if (count) count.textContent = mine.length ? "(" + mine.length + ")" : "";
    listeners.forEach(function (listener) { listener(mine, all.length - mine.length); });
    return mine;
  }

  // Is the server there, and does it still know us? "yes", "signed-out" or "no".
  async function reachable() {
    try {
      const answer = await fetch(cfg.pingUrl, {
        cache: "no-store", credentials: "same-origin", redirect: "manual", signal: AbortSignal.timeout(5000),
      });
      if (answer.type === "opaqueredirect") return "signed-out";
      return answer.ok ? "yes" : "no";
    } catch (e) {
      return "no";
    }
  }

  async function post(records) {
    const answer = await fetch(cfg.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "X-Tracker-Sync": "1" },
      body: JSON.stringify({ records: records.map(function (r) { return r.envelope; }) }),
    });
    if (answer.type === "opaqueredirect") return null; // the session ended: keep everything
    if (!answer.ok) throw new Error("HTTP " + answer.status);
    return (await answer.json()).results;
  }

  async function sendAll() {
    const outcome = { stored: [], held: 0, refused: 0, signedOut: false };
    const mine = own(await trackerOutbox.all());
    for (let start = 0; start < mine.length; start += BATCH) {
      const batch = mine.slice(start, start + BATCH);
      const results = await post(batch);
      if (results === null) { outcome.signedOut = true; break; }
      for (let i = 0; i < batch.length; i++) {
        const result = results[i] || {};
        if (result.uuid !== batch[i].uuid) continue; // not an answer about this record: keep it
        if (result.outcome === "stored" || result.outcome === "held" || result.outcome === "done") {
          await trackerOutbox.remove(batch[i].uuid);
          if (result.again) continue; // already stored (by the form) or announced before
          if (result.outcome === "stored") outcome.stored.push({ text: result.ref, url: result.url });
          if (result.outcome === "held") outcome.held += 1;
        } else {
          batch[i].problem = result.reason || "";
          await trackerOutbox.put(batch[i]);
          outcome.refused += 1;
        }
      }
    }
    return outcome;
  }

  function report(outcome) {
    if (outcome.signedOut) { say(cfg.msgSignedOut); return; }
    const parts = [];
    if (outcome.stored.length) parts.push(cfg.msgSent.replace("%n", outcome.stored.length));
    if (outcome.held) parts.push(cfg.msgHeld.replace("%n", outcome.held));
    if (outcome.refused) parts.push(cfg.msgRefused.replace("%n", outcome.refused));
    const links = outcome.held || outcome.refused ? [{ text: cfg.msgOutbox, url: cfg.outboxUrl }] : [];
    if (parts.length) say(parts.join(" "), outcome.stored.slice(0, 10).concat(links));
  }

  // One sender at a time across this phone's tabs (the server would store a record once anyway).
  function exclusively(work) {
    return navigator.locks ? navigator.locks.request("tracker-outbox-send", work) : work();
  }

  function sendNow() {
    if (sending) return sending;
    clearTimeout(retry);
    sending = exclusively(async function () {
      try {
        report(await sendAll());
        pause = FIRST_PAUSE;
      } catch (e) {
        say(cfg.msgWaiting);
        retry = setTimeout(sendNow, pause);
        pause = Math.min(pause * 2, LONGEST_PAUSE);
      }
    }).finally(function () {
      sending = null;
      return showCount();
    });
    return sending;
  }

  // Keep the pages needed with no signal: each is fetched only while it is missing, and only
  // a whole page served to a signed-in user is kept (not a redirect to the login page).
  async function warm() {
    if (!window.caches) return;
    const cache = await caches.open("tracker-offline");
    for (const url of JSON.parse(cfg.warm)) {
      if (await cache.match(url)) continue;
      try {
        const answer = await fetch(url, { credentials: "same-origin" });
        if (answer.ok && !answer.redirected) await cache.put(url, answer);
      } catch (e) { return; }
    }
  }

  // Logout on a shared phone: ask before unsent records are thrown away, then leave nothing.
  async function forgetEverything() {
    sessionStorage.clear();
    await trackerOutbox.destroy();
    if (window.caches) await Promise.all((await caches.keys()).map(function (name) { return caches.delete(name); }));
    if (navigator.serviceWorker) {
      const registrations = await navigator.serviceWorker.getRegistrations();
      await Promise.all(registrations.map(function (r) { return r.unregister(); }));
    }
  }

  const logout = document.getElementById("logout");
  if (logout) {
    logout.form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const unsent = (await trackerOutbox.all()).length;
      if (unsent && !window.confirm(cfg.msgLogoutUnsent.replace("%n", unsent))) return;
      try { await forgetEverything(); } finally { logout.form.submit(); }
    });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: "/" }).then(warm).catch(function () { /* the form still works online */ });
  }
  window.addEventListener("online", sendNow);
  window.trackerSync = {
    owner: owner,
    sendNow: sendNow,
    reachable: reachable,
    onChange: function (listener) { listeners.push(listener); },
    refresh: showCount,
  };
  showCount().then(function (mine) { if (mine.length) sendNow(); });
})();
