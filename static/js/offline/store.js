// The phone's outbox: records saved while the server could not be reached, in IndexedDB (idb).
// A record holds, readable, only what the outbox page lists (its date, violation codes, owner
// and when it was queued); everything typed is in its sealed envelope (seal.js), which only the
// server can open.
(function () {
  "use strict";
  const NAME = "tracker-outbox";
  const STORE = "records";
  let opened = null;

  function open() {
    if (!opened) {
      opened = idb.openDB(NAME, 1, {
        upgrade: function (db) { db.createObjectStore(STORE, { keyPath: "uuid" }); },
      });
    }
    return opened;
  }

  function byQueuedTime(a, b) { return a.queued_at < b.queued_at ? -1 : a.queued_at > b.queued_at ? 1 : 0; }

  window.trackerOutbox = {
    add: function (record) { return open().then(function (db) { return db.add(STORE, record); }); },
    put: function (record) { return open().then(function (db) { return db.put(STORE, record); }); },
    remove: function (uuid) { return open().then(function (db) { return db.delete(STORE, uuid); }); },
    // every record on this phone, oldest first (an account sends and lists only its own)
    all: function () { return open().then(function (db) { return db.getAll(STORE); }).then(function (all) { return all.sort(byQueuedTime); }); },
    // the whole database, gone: logging out on a shared phone leaves nothing behind
    destroy: function () {
      const closing = opened ? opened.then(function (db) { db.close(); }) : Promise.resolve();
      opened = null;
      return closing.then(function () { return idb.deleteDB(NAME); });
    },
  };
})();
