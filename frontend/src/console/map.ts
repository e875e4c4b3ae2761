// The console map: the shared offline basemap plus units, incidents, places, coverage and the call pin.
//
// Units and incidents are drawn by WebGL from GeoJSON sources (a circle layer for units, a symbol
// layer with locally generated "P1".."P4" icons for incidents), so hundreds of moving units cost one
// setData per animation frame instead of hundreds of re-laid-out DOM markers. Call-sign labels stay
// HTML (no glyphs needed) but only for at most LABEL_CAP units in view: the selected incident's units
// first, then units at work, then the rest. Hospitals, stations and the draggable call pin are HTML.
import { BaseMap, EMPTY, canvasFont, maplibregl, remaining } from "../shared/basemap";
import { STATUS_COLORS } from "../shared/colors";
import { h } from "../shared/dom";
import { S, statusLabel, t } from "../shared/i18n";
import type { UnitRoute } from "./state";
import type { Coverage, Incident, LonLat, Place, Unit } from "../shared/types";

export { remaining };

export interface MapCallbacks {
  mapClick(loc: LonLat): void;
  incidentClick(id: number): void;
  unitClick(id: number): void;
  callPinMoved(loc: LonLat): void;
  loadError(detail: string): void;
}

export interface UnitFlags {
  isStale(u: Unit): boolean;
  isUnacked(u: Unit): boolean;
}

/** Most call-sign labels shown at once (HTML); every unit still gets its dot. */
const LABEL_CAP = 60;
const PRIORITY_COLORS: Record<number, [string, string]> = {
  1: ["#e03131", "#ffffff"],
  2: ["#f76707", "#ffffff"],
  3: ["#e8b300", "#111111"],
  4: ["#4dabf7", "#111111"],
};
/** Coverage fill per isochrone, smallest time first. */
const COVERAGE_COLORS = ["#2f9e44", "#e8b300", "#f76707", "#e03131"];
const BUSY: ReadonlySet<string> = new Set(["dispatched", "en_route", "on_scene", "transporting", "at_hospital"]);

interface Label {
  marker: maplibregl.Marker;
  el: HTMLElement;
  key: string;
  pos: LonLat;
}

export class DispatchMap extends BaseMap {
  private readonly labels = new Map<number, Label>();
  private readonly placeMarkers: maplibregl.Marker[] = [];
  private callPin: maplibregl.Marker | null = null;
  private units: Unit[] = [];
  private unitById = new Map<number, Unit>();
  private flags: UnitFlags = { isStale: () => false, isUnacked: () => false };
  private emphasis: ReadonlySet<number> = new Set();
  private labelsAt = 0;
  private layersAdded = false;

  constructor(
    container: HTMLElement,
    private readonly cb: MapCallbacks,
  ) {
    super(container, cb.loadError);
    void this.whenReady.then(() => this.addLayers());
    this.map.on("click", (e) => {
      const target = e.originalEvent.target;
      if (target instanceof Element && target.closest(".mk")) return;
      if (this.layersAdded) {
        const { x, y } = e.point;
        const hit = this.map.queryRenderedFeatures(
          [
            [x - 5, y - 5],
            [x + 5, y + 5],
          ],
          { layers: ["gh-units", "gh-incidents"] },
        )[0];
        const id = Number(hit?.properties?.["id"]);
        if (hit && Number.isFinite(id)) {
          if (hit.layer.id === "gh-units") cb.unitClick(id);
          else cb.incidentClick(id);
          return;
        }
      }
      cb.mapClick([e.lngLat.lng, e.lngLat.lat]);
    });
    for (const layer of ["gh-units", "gh-incidents"]) {
      this.map.on("mouseenter", layer, () => (this.map.getCanvas().style.cursor = "pointer"));
      this.map.on("mouseleave", layer, () => (this.map.getCanvas().style.cursor = ""));
    }
    this.map.on("moveend", () => this.syncLabels(true));
  }

  private addLayers(): void {
    const m = this.map;
    const ratio = Math.min(2, Math.max(1, Math.round(window.devicePixelRatio || 1)));
    for (const p of [1, 2, 3, 4]) {
      for (const selected of [false, true]) {
        const img = incidentIcon(t("priorityLabel", { priority: p }), PRIORITY_COLORS[p]!, selected, ratio);
        if (img) m.addImage(`inc-${p}${selected ? "-sel" : ""}`, img, { pixelRatio: ratio });
      }
    }
    m.addSource("coverage", { type: "geojson", data: EMPTY });
    m.addSource("signals", { type: "geojson", data: EMPTY });
    // Public-health signal areas (H3 cells): under the roads, like coverage.
    m.addLayer(
      {
        id: "gh-signals",
        type: "fill",
        source: "signals",
        paint: { "fill-color": ["match", ["get", "level"], "alert", "#e03131", "#f59f00"], "fill-opacity": 0.25 },
      },
      "roads-casing",
    );
    m.addLayer(
      {
        id: "gh-signals-line",
        type: "line",
        source: "signals",
        paint: { "line-color": ["match", ["get", "level"], "alert", "#e03131", "#f59f00"], "line-width": 1.5, "line-dasharray": [2, 1] },
      },
      "preview",
    );
    m.addSource("incidents", { type: "geojson", data: EMPTY });
    m.addSource("units", { type: "geojson", data: EMPTY });
    m.addLayer(
      {
        id: "gh-coverage",
        type: "fill",
        source: "coverage",
        paint: { "fill-color": ["get", "color"], "fill-opacity": 0.2 },
      },
      "roads-casing",
    );
    m.addLayer(
      {
        id: "gh-coverage-line",
        type: "line",
        source: "coverage",
        paint: { "line-color": ["get", "color"], "line-width": 1.5, "line-opacity": 0.8 },
      },
      "preview",
    );
    m.addLayer({
      id: "gh-incidents",
      type: "symbol",
      source: "incidents",
      layout: {
        "icon-image": ["get", "icon"],
        "icon-anchor": "bottom",
        "icon-allow-overlap": true,
        "icon-ignore-placement": true,
        "symbol-sort-key": ["get", "sort"],
      },
    });
    m.addLayer({
      id: "gh-units",
      type: "circle",
      source: "units",
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 4, 15, 6.5],
        "circle-color": ["get", "color"],
        "circle-stroke-color": ["case", ["==", ["get", "unacked"], 1], "#ff4d4f", "#ffffff"],
        "circle-stroke-width": ["case", ["==", ["get", "unacked"], 1], 3, 1.5],
        "circle-opacity": ["case", ["==", ["get", "stale"], 1], 0.45, 1],
        "circle-stroke-opacity": ["case", ["==", ["get", "stale"], 1], 0.5, 1],
      },
    });
    this.layersAdded = true;
  }

  setPlaces(hospitals: Place[], stations: Place[]): void {
    for (const m of this.placeMarkers) m.remove();
    this.placeMarkers.length = 0;
    const add = (p: Place, cls: string, letter: string, kind: string) => {
      const el = h("div", { class: `mk mk-place ${cls}`, title: `${kind}: ${p.name}` }, letter);
      this.placeMarkers.push(new maplibregl.Marker({ element: el }).setLngLat(p.location).addTo(this.map));
    };
    for (const p of hospitals) add(p, "mk-hospital", S.hospitalMark, S.hospital);
    for (const p of stations) add(p, "mk-station", S.stationMark, S.station);
  }

  /**
   * Draw the units (one setData) and refresh their labels. `moved` limits the label work to the
   * units whose position changed (positions-only updates); null means anything may have changed.
   */
  syncUnits(units: Iterable<Unit>, flags: UnitFlags, emphasis: ReadonlySet<number>, moved: ReadonlySet<number> | null = null): void {
    this.units = [...units];
    this.unitById = new Map(this.units.map((u) => [u.id, u]));
    this.flags = flags;
    this.emphasis = emphasis;
    const features: GeoJSON.Feature[] = [];
    for (const u of this.units) {
      if (!u.position) continue;
      features.push({
        type: "Feature",
        id: u.id,
        properties: {
          id: u.id,
          color: STATUS_COLORS[u.status] ?? "#888888",
          stale: flags.isStale(u) ? 1 : 0,
          unacked: flags.isUnacked(u) ? 1 : 0,
        },
        geometry: { type: "Point", coordinates: u.position },
      });
    }
    void this.setData("units", { type: "FeatureCollection", features });
    if (moved === null) this.syncLabels(true);
    else this.moveLabels(moved);
  }

  /** Positions only: move the labels of the units that moved; re-pick the labelled set at most once a second. */
  private moveLabels(moved: ReadonlySet<number>): void {
    if (performance.now() - this.labelsAt > 1000) {
      this.syncLabels(true);
      return;
    }
    for (const id of moved) {
      const l = this.labels.get(id);
      const u = l ? this.unitById.get(id) : undefined;
      if (l && u?.position && (u.position[0] !== l.pos[0] || u.position[1] !== l.pos[1])) {
        l.pos = u.position;
        l.marker.setLngLat(u.position);
      }
    }
  }

  private syncLabels(repick: boolean): void {
    if (!repick) return;
    this.labelsAt = performance.now();
    const bounds = this.map.getBounds();
    const inView = this.units.filter((u) => u.position && bounds.contains(u.position));
    let chosen = inView;
    if (inView.length > LABEL_CAP) {
      const rank = (u: Unit) => (this.emphasis.has(u.id) ? 0 : BUSY.has(u.status) ? 1 : 2);
      chosen = [...inView].sort((a, b) => rank(a) - rank(b) || a.id - b.id).slice(0, LABEL_CAP);
    }
    const keep = new Set<number>();
    for (const u of chosen) {
      const pos = u.position!;
      keep.add(u.id);
      let l = this.labels.get(u.id);
      if (!l) {
        const el = h("div", { class: "mk mk-unit mk-unit-label", "data-unit-marker": u.id });
        el.addEventListener("click", (ev) => {
          ev.stopPropagation();
          this.cb.unitClick(u.id);
        });
        // Anchored at the top, just below the unit's dot, so a unit on scene sits below its incident.
        const marker = new maplibregl.Marker({ element: el, anchor: "top", offset: [0, 7] }).setLngLat(pos).addTo(this.map);
        l = { marker, el, key: "", pos };
        this.labels.set(u.id, l);
      } else if (pos[0] !== l.pos[0] || pos[1] !== l.pos[1]) {
        l.pos = pos;
        l.marker.setLngLat(pos);
      }
      const stale = this.flags.isStale(u);
      const unacked = this.flags.isUnacked(u);
      const key = `${u.call_sign}|${u.status}|${stale}|${unacked}`;
      if (l.key !== key) {
        l.key = key;
        l.el.textContent = u.call_sign;
        l.el.dataset["status"] = u.status;
        l.el.style.background = STATUS_COLORS[u.status] ?? "#888";
        l.el.classList.toggle("stale", stale);
        l.el.classList.toggle("unacked", unacked);
        l.el.title = `${u.call_sign} · ${u.capability} · ${statusLabel(u.status)}${stale ? ` · ${S.staleTitle}` : ""}${unacked ? ` · ${S.unackedTitle}` : ""}`;
      }
    }
    for (const [id, l] of this.labels) {
      if (!keep.has(id)) {
        l.marker.remove();
        this.labels.delete(id);
      }
    }
  }

  syncIncidents(incidents: Iterable<Incident>, selected: number | null): void {
    const features: GeoJSON.Feature[] = [];
    for (const i of incidents) {
      if (!i.location) continue;
      const p = Math.min(4, Math.max(1, i.priority));
      const sel = i.id === selected;
      features.push({
        type: "Feature",
        id: i.id,
        properties: { id: i.id, icon: `inc-${p}${sel ? "-sel" : ""}`, sort: sel ? 100 : 10 - p },
        geometry: { type: "Point", coordinates: i.location },
      });
    }
    void this.setData("incidents", { type: "FeatureCollection", features });
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

  /** Coverage isochrones (null hides the layer); larger times drawn first so smaller ones stay visible. */
  setCoverage(c: Coverage | null): void {
    if (!c) {
      void this.setData("coverage", EMPTY);
      return;
    }
    const sorted = [...c.features].sort((a, b) => a.properties.seconds - b.properties.seconds);
    const features = sorted
      .map((f, i) => ({ ...f, properties: { ...f.properties, color: COVERAGE_COLORS[Math.min(i, COVERAGE_COLORS.length - 1)] } }))
      .reverse();
    void this.setData("coverage", { type: "FeatureCollection", features });
  }

  /** Shade the areas of public-health signals (an alert over a warning where both cover a cell). */
  setSignals(signals: readonly { id: number; level: string; areas: { id: string; boundary: LonLat[] }[] }[]): void {
    const ordered = [...signals].sort((a, b) => (a.level === b.level ? 0 : a.level === "alert" ? 1 : -1));
    const features = ordered.flatMap((s) =>
      s.areas.map((a) => ({
        type: "Feature" as const,
        properties: { signal: s.id, level: s.level, area: a.id },
        geometry: { type: "Polygon" as const, coordinates: [a.boundary] },
      })),
    );
    void this.setData("signals", { type: "FeatureCollection", features });
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
}

/** Colour of the n-th smallest coverage isochrone (for the legend). */
export function coverageColor(rank: number): string {
  return COVERAGE_COLORS[Math.min(rank, COVERAGE_COLORS.length - 1)]!;
}

/** A "P1"-style badge drawn on a canvas with the system font (no glyph server needed). */
function incidentIcon(text: string, [bg, fg]: [string, string], selected: boolean, ratio: number): ImageData | null {
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  const font = canvasFont(800, 11 * ratio);
  ctx.font = font;
  const ring = selected ? 4 * ratio : 0;
  const padX = 5 * ratio;
  const boxW = Math.ceil(ctx.measureText(text).width + 2 * padX + 4 * ratio);
  const boxH = 19 * ratio;
  canvas.width = boxW + 2 * ring;
  canvas.height = boxH + 2 * ring;
  ctx.font = font;
  const rect = (x: number, y: number, w: number, hh: number, r: number) => {
    ctx.beginPath();
    ctx.roundRect(x, y, w, hh, r);
  };
  if (selected) {
    rect(0.5 * ratio, 0.5 * ratio, canvas.width - ratio, canvas.height - ratio, 6 * ratio);
    ctx.strokeStyle = "#74c0fc";
    ctx.lineWidth = 3 * ratio;
    ctx.stroke();
  }
  rect(ring + ratio, ring + ratio, boxW - 2 * ratio, boxH - 2 * ratio, 4 * ratio);
  ctx.fillStyle = bg;
  ctx.fill();
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 2 * ratio;
  ctx.stroke();
  ctx.fillStyle = fg;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(text, ring + boxW / 2, ring + boxH / 2 + 0.5 * ratio);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}
