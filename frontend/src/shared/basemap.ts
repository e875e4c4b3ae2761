// The offline basemap shared by the console and the crew app: a MapLibre style drawn only from
// our own data (roads GeoJSON from the API, route/preview layers), no glyphs, sprites or tiles,
// and MapLibre's worker bundled under /assets/. Labels are HTML markers (see map.css), except the
// street names: each distinct name is drawn once on a canvas with the system font and registered
// as an image (`street:<name>`) on `styleimagemissing`, so a line-placed symbol layer can show it
// without any glyph server. Chinese street names (延安西路) need a CJK system font: the canvas
// uses the page's own font stack (`--font` in theme.css), which reaches the Chinese fonts of every
// platform, so map labels and panels render with the same font, or fail together.
import * as maplibregl from "maplibre-gl";
import type { ExpressionSpecification, GeoJSONSource, StyleSpecification } from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import "maplibre-gl/dist/maplibre-gl.css";
import "./map.css";

import { roadsUrl } from "./api";
import type { LineString, LonLat, MapInfo } from "./types";

maplibregl.setWorkerUrl(workerUrl);

export { maplibregl };

export const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

const MAJOR = ["motorway", "motorway_link", "trunk", "trunk_link"];
const PRIMARY = ["primary", "primary_link"];
const SECONDARY = ["secondary", "secondary_link"];
const TERTIARY = ["tertiary", "tertiary_link"];
const MINOR = ["residential", "unclassified", "living_street", "road"];
const SERVICE = ["service"];
const PATHS = ["footway", "path", "cycleway", "pedestrian", "steps", "track", "bridleway"];

const hw: ExpressionSpecification = ["to-string", ["get", "highway"]];

function byClass(values: [number, number, number, number, number, number, number, number]): ExpressionSpecification {
  const [maj, pri, sec, ter, min, svc, pth, other] = values;
  return ["match", hw, MAJOR, maj, PRIMARY, pri, SECONDARY, sec, TERTIARY, ter, MINOR, min, SERVICE, svc, PATHS, pth, other];
}

function byClassColor(values: [string, string, string, string, string, string, string, string]): ExpressionSpecification {
  const [maj, pri, sec, ter, min, svc, pth, other] = values;
  return ["match", hw, MAJOR, maj, PRIMARY, pri, SECONDARY, sec, TERTIARY, ter, MINOR, min, SERVICE, svc, PATHS, pth, other];
}

// Widths (px) at zoom 10 and 17, per class: major, primary, secondary, tertiary, minor, service, path, other.
const widthZ10 = byClass([2.2, 1.8, 1.4, 1.1, 0.6, 0.3, 0.2, 0.5]);
const widthZ17 = byClass([16, 13, 11, 9, 7, 4, 1.5, 5]);
const roadWidth: ExpressionSpecification = ["interpolate", ["exponential", 1.5], ["zoom"], 10, widthZ10, 17, widthZ17];
// Neutral blue-greys, so status colours (markers, routes) stand out.
const roadColor = byClassColor([
  "#8e9bb0", // motorway / trunk
  "#7b889c", // primary
  "#6a7689", // secondary
  "#5a6577", // tertiary
  "#4a5464", // residential
  "#3d4653", // service
  "#353d49", // paths
  "#444d5c", // anything else
]);
const sortKey = byClass([8, 7, 6, 5, 4, 3, 1, 2]);

const STREET_PREFIX = "street:";

let stack: string | null = null;

/**
 * The page's font stack (theme.css `--font`), read once: canvas text does not inherit CSS, and a
 * list hard-coded here would drift from the one the panels use.
 */
export function fontStack(): string {
  stack ??= getComputedStyle(document.documentElement).getPropertyValue("--font").trim() || "sans-serif";
  return stack;
}

/** A CSS `font` for canvas text in the page's font stack. */
export function canvasFont(weight: number, px: number): string {
  return `${weight} ${px}px ${fontStack()}`;
}
const STREET_LABEL_MINZOOM = 15;

/** A street name drawn with the system font: white text, dark halo, at the device pixel ratio. */
function streetLabel(name: string, ratio: number): ImageData | null {
  const fontPx = 12;
  const halo = 2.5;
  const font = canvasFont(600, fontPx * ratio);
  const canvas = document.createElement("canvas");
  let ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.font = font;
  const textW = Math.ceil(ctx.measureText(name).width);
  const pad = Math.ceil(halo * ratio) + 1;
  canvas.width = Math.max(1, textW + 2 * pad);
  canvas.height = Math.ceil((fontPx + 2 * halo + 3) * ratio);
  ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.font = font; // resizing the canvas resets the context state
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  ctx.lineJoin = "round";
  ctx.lineWidth = 2 * halo * ratio;
  ctx.strokeStyle = "rgba(13, 17, 24, 0.92)";
  const y = canvas.height / 2;
  ctx.strokeText(name, pad, y);
  ctx.fillStyle = "#ffffff";
  ctx.fillText(name, pad, y);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/** Draws `street:<name>` images on demand (MapLibre asks for each one the first time it is needed). */
function installStreetLabels(map: maplibregl.Map): void {
  const ratio = Math.min(3, Math.max(1, window.devicePixelRatio || 1));
  map.on("styleimagemissing", (e: { id: string }) => {
    if (!e.id.startsWith(STREET_PREFIX) || map.hasImage(e.id)) return;
    const name = e.id.slice(STREET_PREFIX.length);
    const img = name ? streetLabel(name, ratio) : null;
    if (img) map.addImage(e.id, img, { pixelRatio: ratio });
  });
}

function style(): StyleSpecification {
  return {
    version: 8,
    name: "golden-hour-offline",
    sources: {
      roads: { type: "geojson", data: EMPTY },
      routes: { type: "geojson", data: EMPTY },
      preview: { type: "geojson", data: EMPTY },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#161c26" } },
      {
        id: "roads-casing",
        type: "line",
        source: "roads",
        filter: ["!", ["in", hw, ["literal", PATHS]]],
        layout: { "line-cap": "round", "line-join": "round", "line-sort-key": sortKey },
        paint: {
          "line-color": "#0d1118",
          "line-width": ["interpolate", ["exponential", 1.5], ["zoom"], 10, widthZ10, 17, ["+", 2, widthZ17]],
          "line-opacity": ["interpolate", ["linear"], ["zoom"], 11, 0, 13, 0.9],
        },
      },
      {
        id: "roads-paths",
        type: "line",
        source: "roads",
        filter: ["in", hw, ["literal", PATHS]],
        minzoom: 13,
        paint: { "line-color": "#353d49", "line-width": roadWidth, "line-dasharray": [2, 2] },
      },
      {
        id: "roads",
        type: "line",
        source: "roads",
        filter: ["!", ["in", hw, ["literal", PATHS]]],
        layout: { "line-cap": "round", "line-join": "round", "line-sort-key": sortKey },
        paint: { "line-color": roadColor, "line-width": roadWidth },
      },
      {
        id: "street-names",
        type: "symbol",
        source: "roads",
        minzoom: STREET_LABEL_MINZOOM,
        filter: ["all", ["has", "name"], ["!=", ["to-string", ["get", "name"]], ""]],
        layout: {
          "symbol-placement": "line",
          "symbol-spacing": 300,
          "icon-image": ["concat", STREET_PREFIX, ["to-string", ["get", "name"]]],
          "icon-rotation-alignment": "map",
          "icon-keep-upright": true,
          "icon-padding": 4,
          "symbol-sort-key": ["-", 10, sortKey],
        },
      },
      {
        id: "preview",
        type: "line",
        source: "preview",
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": "#e9ecef", "line-width": 4, "line-opacity": 0.9, "line-dasharray": [1.5, 1.5] },
      },
      {
        id: "routes-halo",
        type: "line",
        source: "routes",
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": "#000000", "line-width": 7, "line-opacity": 0.45 },
      },
      {
        id: "routes",
        type: "line",
        source: "routes",
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": ["coalesce", ["get", "color"], "#f08c00"], "line-width": 4 },
      },
    ],
  };
}


/** The part of a route still ahead of a unit: from its position to the end. */
export function remaining(route: LineString, pos: LonLat): LineString {
  const c = route.coordinates;
  if (c.length < 2) return route;
  const k = Math.cos((pos[1] * Math.PI) / 180);
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < c.length - 1; i++) {
    const a = c[i]!;
    const b = c[i + 1]!;
    const dx = (b[0] - a[0]) * k;
    const dy = b[1] - a[1];
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? (((pos[0] - a[0]) * k * dx + (pos[1] - a[1]) * dy) / len2) : 0;
    t = Math.max(0, Math.min(1, t));
    const ex = (a[0] + t * (b[0] - a[0]) - pos[0]) * k;
    const ey = a[1] + t * (b[1] - a[1]) - pos[1];
    const d = ex * ex + ey * ey;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return { type: "LineString", coordinates: [pos, ...c.slice(best + 1)] };
}

/** A MapLibre map with the offline style; resolves `ready` once the style has loaded. */
export class BaseMap {
  readonly map: maplibregl.Map;
  protected ready = false;
  protected readonly whenReady: Promise<void>;

  constructor(container: HTMLElement, onError: (detail: string) => void, options: { controls?: boolean } = {}) {
    this.map = new maplibregl.Map({
      container,
      style: style(),
      center: [0, 0],
      zoom: 1,
      attributionControl: false,
      // No symbol fade-in: every fade frame is a full repaint, and markers here are data, not decoration.
      fadeDuration: 0,
      dragRotate: false,
      pitchWithRotate: false,
      maxPitch: 0,
      // The style has no glyph source and draws its text on canvas (streetLabel): should a text
      // layer ever be added, CJK is still drawn locally, in the page's font stack, not fetched.
      localIdeographFontFamily: fontStack(),
    });
    this.map.touchZoomRotate.disableRotation();
    installStreetLabels(this.map);
    if (options.controls !== false) {
      this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
      this.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
    }
    this.whenReady = new Promise((resolve) => {
      this.map.on("load", () => {
        this.ready = true;
        resolve();
      });
    });
    this.map.on("error", (e) => {
      onError(e.error?.message ?? "map error");
    });
  }

  fit(info: MapInfo): void {
    const [w, s, e, n] = info.bbox;
    this.map.fitBounds(
      [
        [w, s],
        [e, n],
      ],
      { padding: 24, animate: false },
    );
    // A condition tests (and people) can wait for: the map shows the region and has settled.
    const container = this.map.getContainer();
    delete container.dataset["mapReady"];
    this.map.once("idle", () => (container.dataset["mapReady"] = "true"));
    this.map.setMaxBounds([
      [w - (e - w), s - (n - s)],
      [e + (e - w), n + (n - s)],
    ]);
  }

  /** Point the roads source at the API (after GET /map answered, so the backend is up). */
  loadRoads(): void {
    void this.whenReady.then(() => (this.map.getSource("roads") as GeoJSONSource | undefined)?.setData(roadsUrl()));
  }

  resize(): void {
    this.map.resize();
  }

  flyTo(loc: LonLat, minZoom = 14): void {
    this.map.easeTo({ center: loc, zoom: Math.max(this.map.getZoom(), minZoom), duration: 500 });
  }

  setPreview(route: LineString | null): void {
    const data: GeoJSON.FeatureCollection = route
      ? { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: route }] }
      : EMPTY;
    void this.setData("preview", data);
  }

  protected async setData(source: string, data: GeoJSON.FeatureCollection): Promise<void> {
    if (!this.ready) await this.whenReady;
    (this.map.getSource(source) as GeoJSONSource | undefined)?.setData(data);
  }

  destroy(): void {
    this.map.remove();
  }
}
