import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

// Four pages: the dispatcher console (index.html -> dist/index.html, served at "/"), the crew
// app (crew/index.html -> dist/crew/index.html, served at "/crew/"; FastAPI's StaticFiles(html=True)
// redirects "/crew" there), the supervisors' incident review (review/index.html -> "/review/") and
// the administrator's account screen (admin/index.html -> "/admin/") and the emergency department's
// screen (hospital/index.html -> "/hospital/").
// Sources: src/console/, src/crew/, src/review/, src/admin/ (one per page) and src/shared/ (used by more than one);
// shared code lands in common chunks under "/assets/".
// `npm run dev` proxies the API and WebSocket to a local backend.
const backend = process.env.GOLDENHOUR_BACKEND ?? "http://127.0.0.1:8000";
const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Emit dist/crew-sw.js, the crew app's service worker, with the list of files the crew page needs
 * (its chunks, CSS, MapLibre's worker, icons, manifest) and a version hash of that list, so a new
 * build replaces the old cache. The worker lives at the root so that its scope can be "/crew"
 * (covering both "/crew" and "/crew/").
 */
function crewServiceWorker(): Plugin {
  return {
    name: "goldenhour-crew-sw",
    apply: "build",
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find(
        (f) => f.type === "chunk" && f.isEntry && (f.facadeModuleId ?? "").replaceAll("\\", "/").endsWith("/crew/index.html"),
      );
      if (!entry || entry.type !== "chunk") this.error("crew entry chunk not found");
      const files = new Set<string>();
      const code: string[] = [];
      const visit = (name: string) => {
        if (files.has(name)) return;
        const f = bundle[name];
        if (!f) return;
        files.add(name);
        if (f.type !== "chunk") return;
        code.push(f.code);
        for (const i of f.imports) visit(i);
        for (const c of f.viteMetadata?.importedCss ?? []) visit(c);
        for (const a of f.viteMetadata?.importedAssets ?? []) visit(a);
      };
      visit(entry.fileName);
      // Assets referenced from the crew code by URL (e.g. MapLibre's worker via ?url).
      for (const f of Object.values(bundle)) {
        if (f.type === "asset" && f.fileName.startsWith("assets/") && code.some((c) => c.includes(f.fileName))) files.add(f.fileName);
      }
      const publicFiles = ["/crew/manifest.webmanifest", "/crew/icons/icon.svg", "/crew/icons/icon-192.png", "/crew/icons/icon-512.png", "/crew/icons/maskable-512.png"];
      const precache = ["/crew/", ...publicFiles, ...[...files].filter((f) => !f.endsWith(".html")).sort().map((f) => `/${f}`)];
      const version = createHash("sha256").update(JSON.stringify(precache)).digest("hex").slice(0, 12);
      const source = readFileSync(`${root}sw/crew-sw.js`, "utf8")
        .replace("__VERSION__", version)
        .replace("__PRECACHE__", JSON.stringify(precache, null, 2));
      this.emitFile({ type: "asset", fileName: "crew-sw.js", source });
    },
  };
}

export default defineConfig({
  base: "/",
  plugins: [crewServiceWorker()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      input: {
        console: `${root}index.html`,
        crew: `${root}crew/index.html`,
        review: `${root}review/index.html`,
        admin: `${root}admin/index.html`,
        hospital: `${root}hospital/index.html`,
      },
      output: {
        // Serve MapLibre's worker module as .js so any static server sends a JavaScript MIME type.
        assetFileNames: (asset) =>
          asset.names.some((n) => n.endsWith(".mjs")) ? "assets/[name]-[hash].js" : "assets/[name]-[hash][extname]",
      },
    },
  },
  server: {
    proxy: {
      "/api": { target: backend, changeOrigin: true },
      // The backend takes sockets from its own origin only (dispatch/api/handshake.py): the dev
      // server's page is another one, so the proxy presents the backend's origin.
      "/ws": {
        target: backend,
        ws: true,
        changeOrigin: true,
        configure: (proxy) => proxy.on("proxyReqWs", (proxyReq) => proxyReq.setHeader("origin", new URL(backend).origin)),
      },
    },
  },
});
