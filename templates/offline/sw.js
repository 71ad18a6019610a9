// The tracker's service worker, written by tracker/offline/views.py. GET requests only: it
// keeps the static files the incident form needs (precached, each by the digest of its
// content), the form and outbox pages as last served to a signed-in user (network first), and
// the region outlines. Nothing typed passes through it: records wait sealed in IndexedDB.
importScripts({{ (workbox ~ "workbox-sw.js")|tojson }});
workbox.setConfig({ modulePathPrefix: {{ workbox|tojson }}, debug: false });

const PAGES = {{ [form_url, outbox_url]|tojson }};
const OUTLINES = {{ outlines_urls|tojson }};
const OUTBOX = {{ outbox_url|tojson }};

// Keep only what the server gave whole: not a redirect to the login page, not an error. A
// server that answers with an error (its database down) counts as no server: the kept page.
const servedWhole = {
  cacheWillUpdate: async function ({ response }) {
    return response && response.status === 200 && !response.redirected ? response : null;
  },
  fetchDidSucceed: async function ({ response }) {
    if (response.status >= 500) throw new Error("HTTP " + response.status);
    return response;
  },
};

function ours(url) { return url.origin === self.location.origin; }

workbox.core.clientsClaim();
self.skipWaiting();
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute({{ precache|tojson }});

workbox.routing.registerRoute(
  function ({ request, url }) { return request.mode === "navigate" && ours(url) && !url.search && PAGES.includes(url.pathname); },
  new workbox.strategies.NetworkFirst({ cacheName: "tracker-offline", networkTimeoutSeconds: 8, plugins: [servedWhole] })
);
workbox.routing.registerRoute(
  function ({ url }) { return ours(url) && OUTLINES.includes(url.pathname + url.search); },
  new workbox.strategies.StaleWhileRevalidate({ cacheName: "tracker-offline", plugins: [servedWhole] })
);
// Any other page, with no server: the outbox page, which says what waits and links to the form.
workbox.routing.registerRoute(new workbox.routing.NavigationRoute(new workbox.strategies.NetworkOnly()));
workbox.routing.setCatchHandler(async function ({ request }) {
  if (request.mode === "navigate") {
    const page = await caches.match(OUTBOX, { cacheName: "tracker-offline" });
    if (page) return page;
  }
  return Response.error();
});
