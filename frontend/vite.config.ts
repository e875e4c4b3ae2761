import { defineConfig } from "vite";

// The FastAPI app serves dist/ at "/" with assets under "/assets/".
// `npm run dev` proxies the API and WebSocket to a local backend.
const backend = process.env.GOLDENHOUR_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
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
      "/ws": { target: backend, ws: true, changeOrigin: true },
    },
  },
});
