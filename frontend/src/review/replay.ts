// The review map: search results as dots, the selected incident with its units' GPS tracks, a
// replay (markers interpolated along each track by its times; play / pause / slider / speed) and
// a rectangle tool for the search area.
import { BaseMap, EMPTY, maplibregl } from "../shared/basemap";
import { h, setText } from "../shared/dom";
import { clock, duration } from "../shared/format";
import { S } from "../shared/i18n";
import type { Incident, LonLat, Tracks } from "../shared/types";

type BBox = [number, number, number, number];

const PRIORITY_COLORS = ["#e03131", "#f76707", "#e8b300", "#4dabf7"];
const TRACK_COLORS = ["#ffa94d", "#74c0fc", "#b197fc", "#8ce99a", "#faa2c1", "#ffd43b"];

interface Track {
  unitId: number;
  callSign: string;
  color: string;
  coords: LonLat[];
  times: number[];
  marker: maplibregl.Marker;
  el: HTMLElement;
}

export interface ReplayCallbacks {
  resultClick(id: number): void;
  /** The replay clock moved (ms since epoch), e.g. to highlight the timeline. */
  time(t: number): void;
  loadError(detail: string): void;
}

export class ReplayMap extends BaseMap {
  private tracks: Track[] = [];
  private incidentMarker: maplibregl.Marker | null = null;
  private t0 = 0;
  private t1 = 0;
  private now = 0;
  private playing = false;
  private lastFrame = 0;
  private raf = 0;
  private speed = 10;
  private drawing: { start: maplibregl.LngLat | null; done: (b: BBox | null) => void } | null = null;

  readonly controls: HTMLElement;
  private readonly play: HTMLButtonElement;
  private readonly slider: HTMLInputElement;
  private readonly timeLabel: HTMLElement;
  private readonly note: HTMLElement;

  constructor(container: HTMLElement, controls: HTMLElement, private readonly cb: ReplayCallbacks) {
    super(container, cb.loadError);
    this.controls = controls;
    this.play = h("button", { type: "button", class: "btn small primary", "data-testid": "replay-play", disabled: true }, S.play);
    this.slider = h("input", { type: "range", min: 0, max: 1000, step: 1, value: 0, "data-testid": "replay-slider", disabled: true, "aria-label": S.replay });
    this.timeLabel = h("span", { class: "mono replay-time", "data-testid": "replay-time" }, "–");
    const speed = h("select", { "data-testid": "replay-speed", "aria-label": S.replaySpeed, class: "speed" });
    for (const v of [1, 5, 10, 30, 60]) speed.append(h("option", { value: v }, `${v}×`));
    speed.value = String(this.speed);
    this.note = h("span", { class: "sub replay-note" });
    controls.append(h("span", { class: "strong" }, S.replay), this.play, this.slider, this.timeLabel, speed, this.note);
    this.play.addEventListener("click", () => (this.playing ? this.pause() : this.start()));
    this.slider.addEventListener("input", () => {
      this.pause();
      this.seek(this.t0 + (Number(this.slider.value) / 1000) * (this.t1 - this.t0));
    });
    speed.addEventListener("change", () => (this.speed = Number(speed.value) || 10));

    void this.whenReady.then(() => {
      const m = this.map;
      m.addSource("results", { type: "geojson", data: EMPTY });
      m.addSource("tracks", { type: "geojson", data: EMPTY });
      m.addSource("tracks-done", { type: "geojson", data: EMPTY });
      m.addSource("bbox", { type: "geojson", data: EMPTY });
      m.addLayer({ id: "bbox-fill", type: "fill", source: "bbox", paint: { "fill-color": "#3b82f6", "fill-opacity": 0.08 } });
      m.addLayer({ id: "bbox-line", type: "line", source: "bbox", paint: { "line-color": "#74c0fc", "line-width": 1.5, "line-dasharray": [3, 2] } });
      m.addLayer({
        id: "tracks",
        type: "line",
        source: "tracks",
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": ["get", "color"], "line-width": 3, "line-opacity": 0.35 },
      });
      m.addLayer({
        id: "tracks-done",
        type: "line",
        source: "tracks-done",
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": ["get", "color"], "line-width": 4 },
      });
      m.addLayer({
        id: "results",
        type: "circle",
        source: "results",
        paint: {
          "circle-radius": 5,
          "circle-color": ["get", "color"],
          "circle-stroke-color": "#ffffff",
          "circle-stroke-width": 1,
          "circle-opacity": ["case", ["==", ["get", "faded"], 1], 0.35, 0.9],
        },
      });
      m.on("click", "results", (e) => {
        if (this.drawing) return;
        const id = Number(e.features?.[0]?.properties?.["id"]);
        if (Number.isFinite(id)) this.cb.resultClick(id);
      });
      m.on("mouseenter", "results", () => (m.getCanvas().style.cursor = "pointer"));
      m.on("mouseleave", "results", () => (m.getCanvas().style.cursor = ""));
    });
    this.installDrawing();
  }

  // ---- search results and area ----

  setResults(list: Incident[], selected: number | null): void {
    const features: GeoJSON.Feature[] = list
      .filter((i) => i.location)
      .map((i) => ({
        type: "Feature",
        properties: { id: i.id, color: PRIORITY_COLORS[Math.min(3, Math.max(0, i.priority - 1))], faded: selected !== null && selected !== i.id ? 1 : 0 },
        geometry: { type: "Point", coordinates: i.location! },
      }));
    void this.setData("results", { type: "FeatureCollection", features });
  }

  viewBbox(): BBox {
    const b = this.map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }

  showBbox(b: BBox | null): void {
    if (!b) {
      void this.setData("bbox", EMPTY);
      return;
    }
    const [w, s, e, n] = b;
    void this.setData("bbox", {
      type: "FeatureCollection",
      features: [{ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] } }],
    });
  }

  /** Let the user drag a rectangle; resolves with it (null if cancelled by Esc). */
  drawBbox(): Promise<BBox | null> {
    this.drawing?.done(null);
    this.map.getCanvas().style.cursor = "crosshair";
    this.map.dragPan.disable();
    this.map.getContainer().classList.add("drawing");
    return new Promise((resolve) => {
      this.drawing = {
        start: null,
        done: (b) => {
          this.drawing = null;
          this.map.dragPan.enable();
          this.map.getCanvas().style.cursor = "";
          this.map.getContainer().classList.remove("drawing");
          resolve(b);
        },
      };
    });
  }

  private installDrawing(): void {
    const m = this.map;
    const box = (a: maplibregl.LngLat, b: maplibregl.LngLat): BBox => [
      Math.min(a.lng, b.lng),
      Math.min(a.lat, b.lat),
      Math.max(a.lng, b.lng),
      Math.max(a.lat, b.lat),
    ];
    m.on("mousedown", (e) => {
      if (!this.drawing) return;
      e.preventDefault();
      this.drawing.start = e.lngLat;
    });
    m.on("mousemove", (e) => {
      if (this.drawing?.start) this.showBbox(box(this.drawing.start, e.lngLat));
    });
    m.on("mouseup", (e) => {
      if (!this.drawing?.start) return;
      const b = box(this.drawing.start, e.lngLat);
      const tiny = b[2] - b[0] < 1e-6 || b[3] - b[1] < 1e-6;
      this.drawing.done(tiny ? null : b);
    });
    window.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && this.drawing) this.drawing.done(null);
    });
  }

  // ---- replay ----

  /** Show an incident and its tracks; the replay spans from the call to the last recorded moment. */
  load(incident: Incident, tracks: Tracks, lastEventAt: number): void {
    this.clear();
    const loc = incident.location;
    if (loc) {
      const el = h("div", { class: `mk mk-incident p${incident.priority} selected` }, `P${incident.priority}`);
      this.incidentMarker = new maplibregl.Marker({ element: el, anchor: "bottom" }).setLngLat(loc).addTo(this.map);
    }
    const bounds = new maplibregl.LngLatBounds();
    if (loc) bounds.extend(loc);
    this.t0 = Date.parse(incident.received_at);
    let end = Math.max(lastEventAt, this.t0);
    tracks.features.forEach((f, i) => {
      const coords = f.geometry.coordinates as LonLat[];
      const times = f.properties.times.map((x) => Date.parse(x));
      if (coords.length === 0 || coords.length !== times.length) return;
      const color = TRACK_COLORS[i % TRACK_COLORS.length]!;
      const el = h("div", { class: "mk mk-unit replay-unit", "data-replay-unit": f.properties.unit_id, style: `background:${color};color:#111` }, f.properties.call_sign);
      const marker = new maplibregl.Marker({ element: el, anchor: "top", offset: [0, 4] }).setLngLat(coords[0]!).addTo(this.map);
      for (const c of coords) bounds.extend(c);
      end = Math.max(end, times[times.length - 1]!);
      this.tracks.push({ unitId: f.properties.unit_id, callSign: f.properties.call_sign, color, coords, times, marker, el });
    });
    this.t1 = Math.max(end, this.t0 + 1000);
    void this.setData("tracks", {
      type: "FeatureCollection",
      features: this.tracks
        .filter((tr) => tr.coords.length > 1)
        .map((tr) => ({ type: "Feature", properties: { color: tr.color }, geometry: { type: "LineString", coordinates: tr.coords } })),
    });
    if (!bounds.isEmpty()) {
      void this.whenReady.then(() => this.map.fitBounds(bounds, { padding: 60, maxZoom: 16, duration: 0 }));
    }
    setText(this.note, this.tracks.length === 0 ? S.noTracks : this.tracks.map((tr) => `${tr.callSign}: ${tr.coords.length}`).join(" · "));
    this.play.disabled = this.slider.disabled = false;
    this.seek(this.t0);
  }

  clear(): void {
    this.pause();
    for (const tr of this.tracks) tr.marker.remove();
    this.tracks = [];
    this.incidentMarker?.remove();
    this.incidentMarker = null;
    void this.setData("tracks", EMPTY);
    void this.setData("tracks-done", EMPTY);
    this.play.disabled = this.slider.disabled = true;
    this.slider.value = "0";
    setText(this.timeLabel, "–");
    setText(this.note, "");
  }

  get span(): [number, number] {
    return [this.t0, this.t1];
  }

  /** Move the replay clock to `t` (ms since epoch). */
  seek(t: number): void {
    this.now = Math.min(this.t1, Math.max(this.t0, t));
    const frac = this.t1 > this.t0 ? (this.now - this.t0) / (this.t1 - this.t0) : 0;
    this.slider.value = String(Math.round(frac * 1000));
    this.slider.dataset["time"] = new Date(this.now).toISOString();
    setText(this.timeLabel, `${clock(new Date(this.now))} (+${duration((this.now - this.t0) / 1000)})`);
    const done: GeoJSON.Feature[] = [];
    for (const tr of this.tracks) {
      const [pos, upto] = positionAt(tr, this.now);
      tr.marker.setLngLat(pos);
      tr.el.classList.toggle("waiting", this.now < tr.times[0]!);
      tr.el.dataset["lon"] = pos[0].toFixed(6);
      tr.el.dataset["lat"] = pos[1].toFixed(6);
      if (upto.length > 1) done.push({ type: "Feature", properties: { color: tr.color }, geometry: { type: "LineString", coordinates: upto } });
    }
    void this.setData("tracks-done", { type: "FeatureCollection", features: done });
    this.cb.time(this.now);
  }

  start(): void {
    if (this.tracks.length === 0 && this.t1 <= this.t0) return;
    if (this.now >= this.t1) this.seek(this.t0);
    this.playing = true;
    this.play.textContent = S.pause;
    this.play.dataset["playing"] = "true";
    this.lastFrame = performance.now();
    const step = (ts: number) => {
      if (!this.playing) return;
      const dt = ts - this.lastFrame;
      this.lastFrame = ts;
      this.seek(this.now + dt * this.speed);
      if (this.now >= this.t1) {
        this.pause();
        return;
      }
      this.raf = requestAnimationFrame(step);
    };
    this.raf = requestAnimationFrame(step);
  }

  pause(): void {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.play.textContent = S.play;
    this.play.dataset["playing"] = "false";
  }
}

/** Where a unit was at time t (linear between fixes) and the part of its track driven by then. */
function positionAt(tr: Track, t: number): [LonLat, LonLat[]] {
  const { coords, times } = tr;
  if (t <= times[0]!) return [coords[0]!, []];
  const last = times.length - 1;
  if (t >= times[last]!) return [coords[last]!, coords];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) lo = mid;
    else hi = mid;
  }
  const a = coords[lo]!;
  const b = coords[hi]!;
  const span = times[hi]! - times[lo]!;
  const k = span > 0 ? (t - times[lo]!) / span : 1;
  const pos: LonLat = [a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k];
  return [pos, [...coords.slice(0, lo + 1), pos]];
}
