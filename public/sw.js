// fairdraw offline support: once a page has loaded, it keeps working with the network cut,
// across reloads (the live draw and the verifier included, once each has loaded). The build's
// SHA256SUMS lists every shipped file; the shoppers' are cached at install. Pages and assets: cache first for hashed (immutable)
// files, network first otherwise. Public GETs under /api/ (campaign, ledger, record): network
// first, falling back to the last copy seen (ledgers only for the live draw, which asks with
// `?keep=1`). Nothing is cached for the organizer API or for any other method than GET.
const CACHE = "fairdraw-v3";
// The verifier's and the organizer's pages are apps of their own (verify-app/, organizer-app/);
// each app's page is cached as its own key.
const ORGANIZER = /^\/(organizer(\/|$)|print\/)/;
const VERIFY = /^\/verify(\/|$)/;
const appPage = (path) => ORGANIZER.test(path) ? "/organizer-app/" : VERIFY.test(path) ? "/verify-app/" : "/";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const sums = await fetch("/SHA256SUMS", { cache: "no-store" }).then((r) => r.text());
    const files = sums.split("\n").map((l) => l.trim().split(/\s+/)[1]).filter(Boolean);
    // The shoppers' app, with the worker it scans and checks tickets with; the verifier's
    // (verify-app/) and the organizer's (organizer-app/) are cached as they are used, so a
    // shopper's phone does not fetch them in the background.
    const apart = (f) => f.startsWith("organizer-app/") || f.startsWith("verify-app/");
    const kept = files.filter((f) => !f.endsWith("index.html") && !apart(f));
    await cache.addAll(["/", ...kept.map((f) => "/" + f)]);
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

const hashed = (path) => /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/.test(path);

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  let response;
  try {
    response = await fetch(request);
  } catch (err) {
    const cached = await cache.match(key || request);
    if (cached) return cached;
    throw err;
  }
  if (response.ok) {
    // Keeping a copy is best effort: a full storage quota must not fail the request.
    cache.put(key || request, response.clone()).catch(() => {});
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/organizer/")) return;
  // A ledger can be hundreds of megabytes: only the live draw's copy (`?keep=1`) is kept.
  if (url.pathname.endsWith("/ledger") && !url.searchParams.has("keep")) return;
  if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(event.request));
  } else if (event.request.mode === "navigate") {
    // Every route is one of the three apps' pages: the organizer's, the verifier's, or the
    // shoppers'.
    event.respondWith(networkFirst(event.request, appPage(url.pathname)));
  } else if (hashed(url.pathname)) {
    event.respondWith(caches.match(event.request).then((hit) => hit || networkFirst(event.request)));
  } else {
    event.respondWith(networkFirst(event.request));
  }
});
