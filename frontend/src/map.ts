// The console map: the shared offline basemap plus unit, incident, place and call-pin markers.
import { BaseMap, maplibregl, remaining } from "./basemap";
import { STATUS_COLORS } from "./colors";
import { h } from "./dom";
import { S, statusLabel, t } from "./i18n";
import type { UnitRoute } from "./state";
import type { Incident, LonLat, Place, Unit } from "./types";

export { remaining };

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

export class DispatchMap extends BaseMap {
  private readonly unitMarkers = new Map<number, UnitMarker>();
  private readonly incidentMarkers = new Map<number, { marker: maplibregl.Marker; el: HTMLElement; key: string }>();
  private readonly placeMarkers: maplibregl.Marker[] = [];
  private callPin: maplibregl.Marker | null = null;

  constructor(
    container: HTMLElement,
    private readonly cb: MapCallbacks,
  ) {
    super(container, cb.loadError);
    this.map.on("click", (e) => {
      const target = e.originalEvent.target;
      if (target instanceof Element && target.closest(".mk")) return;
      cb.mapClick([e.lngLat.lng, e.lngLat.lat]);
    });
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
        m.el.textContent = t("priorityLabel", { priority: i.priority });
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
