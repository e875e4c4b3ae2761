// MapLibre map drawn only from our own data: roads GeoJSON from the API, HTML markers for
// labels (no glyphs, no sprites, no tiles: nothing is fetched from the internet).
import * as maplibregl from "maplibre-gl";
import type { ExpressionSpecification, GeoJSONSource, StyleSpecification } from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import "maplibre-gl/dist/maplibre-gl.css";

import { roadsUrl } from "./api";
import { STATUS_COLORS } from "./colors";
import { h } from "./dom";
import { S, statusLabel } from "./i18n";
import type { UnitRoute } from "./state";
import type { Incident, LineString, LonLat, MapInfo, Place, Unit } from "./types";

maplibregl.setWorkerUrl(workerUrl);

const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

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

export interface MapCallbacks {
  mapClick(loc: LonLat): void;
  incidentClick(id: number): void;
  unitClick(id: number): void;
  callPinMoved(loc: LonLat): void;
  loadError(detail: string): void;
}

interface UnitMarker {
  marker: maplibregl.Marker;
  el: HTMLElement;
  status: string;
  label: string;
}

export class DispatchMap {
  readonly map: maplibregl.Map;
  private ready = false;
  private readonly whenReady: Promise<void>;
  private readonly unitMarkers = new Map<number, UnitMarker>();
  private readonly incidentMarkers = new Map<number, { marker: maplibregl.Marker; el: HTMLElement; key: string }>();
  private readonly placeMarkers: maplibregl.Marker[] = [];
  private callPin: maplibregl.Marker | null = null;

  constructor(
    container: HTMLElement,
    private readonly cb: MapCallbacks,
  ) {
    this.map = new maplibregl.Map({
      container,
      style: style(),
      center: [0, 0],
      zoom: 1,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      maxPitch: 0,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    this.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
    this.whenReady = new Promise((resolve) => {
      this.map.on("load", () => {
        this.ready = true;
        resolve();
      });
    });
    this.map.on("click", (e) => {
      const target = e.originalEvent.target;
      if (target instanceof Element && target.closest(".mk")) return;
      cb.mapClick([e.lngLat.lng, e.lngLat.lat]);
    });
    this.map.on("error", (e) => {
      cb.loadError(e.error?.message ?? "map error");
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

  setPlaces(hospitals: Place[], stations: Place[]): void {
    for (const m of this.placeMarkers) m.remove();
    this.placeMarkers.length = 0;
    const add = (p: Place, cls: string, letter: string, kind: string) => {
      const el = h("div", { class: `mk mk-place ${cls}`, title: `${kind}: ${p.name}` }, letter);
      this.placeMarkers.push(new maplibregl.Marker({ element: el }).setLngLat(p.location).addTo(this.map));
    };
    for (const p of hospitals) add(p, "mk-hospital", "H", S.hospital);
    for (const p of stations) add(p, "mk-station", "S", S.station);
  }

  syncUnits(units: Iterable<Unit>): void {
    const seen = new Set<number>();
    for (const u of units) {
      if (!u.position) continue;
      seen.add(u.id);
      let m = this.unitMarkers.get(u.id);
      if (!m) {
        const el = h("div", { class: "mk mk-unit", "data-unit-marker": u.id });
        el.addEventListener("click", (ev) => {
          ev.stopPropagation();
          this.cb.unitClick(u.id);
        });
        // Anchored at the top (a dot marks the exact spot) so a unit on scene sits just below
        // its incident's marker instead of hiding it.
        const marker = new maplibregl.Marker({ element: el, anchor: "top", offset: [0, 4] })
          .setLngLat(u.position)
          .addTo(this.map);
        m = { marker, el, status: "", label: "" };
        this.unitMarkers.set(u.id, m);
      } else {
        const cur = m.marker.getLngLat();
        if (cur.lng !== u.position[0] || cur.lat !== u.position[1]) m.marker.setLngLat(u.position);
      }
      if (m.status !== u.status) {
        m.status = u.status;
        m.el.dataset["status"] = u.status;
        m.el.style.background = STATUS_COLORS[u.status] ?? "#888";
        m.el.title = `${u.call_sign} · ${u.capability} · ${statusLabel(u.status)}`;
      }
      if (m.label !== u.call_sign) {
        m.label = u.call_sign;
        m.el.textContent = u.call_sign;
      }
    }
    for (const [id, m] of this.unitMarkers) {
      if (!seen.has(id)) {
        m.marker.remove();
        this.unitMarkers.delete(id);
      }
    }
  }

  syncIncidents(incidents: Iterable<Incident>, selected: number | null): void {
    const seen = new Set<number>();
    for (const i of incidents) {
      if (!i.location) continue;
      seen.add(i.id);
      const key = `${i.priority}|${i.status}|${i.id === selected}|${i.location[0]},${i.location[1]}`;
      let m = this.incidentMarkers.get(i.id);
      if (!m) {
        const el = h("div", { class: "mk mk-incident", "data-incident-marker": i.id });
        el.addEventListener("click", (ev) => {
          ev.stopPropagation();
          this.cb.incidentClick(i.id);
        });
        const marker = new maplibregl.Marker({ element: el, anchor: "bottom" }).setLngLat(i.location).addTo(this.map);
        m = { marker, el, key: "" };
        this.incidentMarkers.set(i.id, m);
      }
      if (m.key !== key) {
        m.key = key;
        m.marker.setLngLat(i.location);
        // Toggle classes: MapLibre keeps its own positioning classes on the marker element.
        for (const p of [1, 2, 3, 4]) m.el.classList.toggle(`p${p}`, p === i.priority);
        m.el.classList.toggle("selected", i.id === selected);
        m.el.dataset["status"] = i.status;
        m.el.textContent = `P${i.priority}`;
        m.el.title = `${i.number} · ${i.address ?? ""} · ${i.complaint ?? ""} · ${statusLabel(i.status)}`;
      }
    }
    for (const [id, m] of this.incidentMarkers) {
      if (!seen.has(id)) {
        m.marker.remove();
        this.incidentMarkers.delete(id);
      }
    }
  }

  setRoutes(routes: Iterable<UnitRoute>, units: Map<number, Unit>): void {
    const features: GeoJSON.Feature[] = [];
    for (const r of routes) {
      const u = units.get(r.unitId);
      features.push({
        type: "Feature",
        properties: { unit_id: r.unitId, color: STATUS_COLORS[u?.status ?? "dispatched"] ?? "#f08c00" },
        geometry: u?.position ? remaining(r.route, u.position) : r.route,
      });
    }
    void this.setData("routes", { type: "FeatureCollection", features });
  }

  setPreview(route: LineString | null): void {
    const data: GeoJSON.FeatureCollection = route
      ? { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: route }] }
      : EMPTY;
    void this.setData("preview", data);
  }

  setCallPin(loc: LonLat | null): void {
    if (!loc) {
      this.callPin?.remove();
      this.callPin = null;
      return;
    }
    if (!this.callPin) {
      this.callPin = new maplibregl.Marker({ color: "#ff4d4f", draggable: true });
      this.callPin.getElement().classList.add("mk", "mk-callpin");
      this.callPin.on("dragend", () => {
        const p = this.callPin?.getLngLat();
        if (p) this.cb.callPinMoved([p.lng, p.lat]);
      });
      this.callPin.setLngLat(loc).addTo(this.map);
    } else {
      this.callPin.setLngLat(loc);
    }
  }

  private async setData(source: string, data: GeoJSON.FeatureCollection): Promise<void> {
    if (!this.ready) await this.whenReady;
    (this.map.getSource(source) as GeoJSONSource | undefined)?.setData(data);
  }

  destroy(): void {
    this.map.remove();
  }
}
