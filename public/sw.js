// fairdraw offline support: once a page has loaded, the live draw and the verifier keep
// working with the network cut, across reloads. The build's SHA256SUMS lists every shipped
// file; they are cached at install. Pages and assets: cache first for hashed (immutable)
// files, network first otherwise. Public GETs under /api/ (campaign, ledger, record): network
// first, falling back to the last copy seen. Nothing is cached for the organizer API or for
// any other method than GET.
const CACHE = "fairdraw-v1";

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const sums = await fetch("/SHA256SUMS", { cache: "no-store" }).then((r) => r.text());
    const files = sums.split("\n").map((l) => l.trim().split(/\s+/)[1]).filter(Boolean);
    await cache.addAll(["/", ...files.filter((f) => f !== "index.html").map((f) => "/" + f)]);
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

async function networkFirst(request, fallbackPath) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(fallbackPath || request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(fallbackPath || request);
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/organizer/")) return;
  if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(event.request));
  } else if (event.request.mode === "navigate") {
    // Every route is the one app page.
    event.respondWith(networkFirst(event.request, "/"));
  } else if (hashed(url.pathname)) {
    event.respondWith(caches.match(event.request).then((hit) => hit || networkFirst(event.request)));
  } else {
    event.respondWith(networkFirst(event.request));
  }
});
