// Golden Hour crew app service worker (scope /crew). Generated into dist/crew-sw.js by
// vite.config.ts, which fills in the build's file list and version.
// The app shell (page, scripts, styles, MapLibre's worker, icons, manifest) is cached so the app
// opens without network. API and WebSocket traffic is never cached or intercepted.
/* eslint-disable */
const VERSION = "__VERSION__";
const CACHE = `gh-crew-${VERSION}`;
const SHELL = "/crew/";
const PRECACHE = __PRECACHE__;
const NAV_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("gh-crew-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function isApi(url) {
  return url.pathname.startsWith("/api/") || url.pathname.startsWith("/ws/") || url.pathname === "/healthz";
}

/** The page: network first (a new deployment shows at once), the cached shell when offline or slow. */
async function shell(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), NAV_TIMEOUT_MS)),
    ]);
    if (response.ok && response.type === "basic" && new URL(response.url).pathname === SHELL) {
      await cache.put(SHELL, response.clone());
    }
    return response;
  } catch (e) {
    const hit = await cache.match(SHELL);
    if (hit) return hit;
    throw e;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || isApi(url)) return; // never cached
  if (request.mode === "navigate") {
    event.respondWith(shell(request));
    return;
  }
  // Hashed assets and icons: cache first (their names change with their content).
  event.respondWith(
    caches.match(request, { ignoreSearch: true }).then((hit) => hit || fetch(request)),
  );
});
