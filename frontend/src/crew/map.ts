// The crew's small map: the shared offline basemap, our unit, the incident, hospitals (the
// destination marked), the station of a move-up and the part of the route still ahead.
import { BaseMap, maplibregl, remaining } from "../shared/basemap";
import { STATUS_COLORS } from "../shared/colors";
import { h } from "../shared/dom";
import { S, statusLabel, t } from "../shared/i18n";
import type { Incident, LineString, LonLat, Place, Unit } from "../shared/types";

export class CrewMap extends BaseMap {
  private unitMarker: maplibregl.Marker | null = null;
  private readonly unitEl = h("div", { class: "mk mk-unit" });
  private incidentMarker: maplibregl.Marker | null = null;
  private readonly incidentEl = h("div", { class: "mk mk-incident" });
  private places = new Map<number, { marker: maplibregl.Marker; el: HTMLElement }>();
  private destinationId: number | null = null;
  private postMarker: maplibregl.Marker | null = null;
  private readonly postEl = h("div", { class: "mk mk-place mk-post", "data-testid": "crew-map-post" }, S.crewPostMark);
  private fittedFor: string | null = null;
  private centred = false;

  constructor(container: HTMLElement, onError: (detail: string) => void) {
    super(container, onError);
  }

  setPlaces(hospitals: Place[]): void {
    for (const p of this.places.values()) p.marker.remove();
    this.places.clear();
    for (const p of hospitals) {
      const el = h("div", { class: "mk mk-place mk-hospital", title: `${S.hospital}: ${p.name}`, "data-hospital-id": p.id }, "H");
      this.places.set(p.id, { el, marker: new maplibregl.Marker({ element: el }).setLngLat(p.location).addTo(this.map) });
    }
    this.setDestination(this.destinationId);
  }

  /** Mark the hospital the patient is taken to. */
  setDestination(hospitalId: number | null): void {
    this.destinationId = hospitalId;
    for (const [id, p] of this.places) p.el.classList.toggle("destination", id === hospitalId);
  }

  /** The station a move-up order sends the unit to. */
  setPost(station: Place | null): void {
    if (!station) {
      this.postMarker?.remove();
      this.postMarker = null;
      return;
    }
    this.postEl.title = station.name;
    if (!this.postMarker) this.postMarker = new maplibregl.Marker({ element: this.postEl, anchor: "bottom" }).setLngLat(station.location).addTo(this.map);
    else this.postMarker.setLngLat(station.location);
  }

  setUnit(unit: Unit | null, status: string | null): void {
    if (!unit?.position) {
      this.unitMarker?.remove();
      this.unitMarker = null;
      return;
    }
    this.unitEl.textContent = unit.call_sign;
    this.unitEl.style.background = STATUS_COLORS[status ?? unit.status] ?? "#888";
    this.unitEl.title = `${unit.call_sign} · ${statusLabel(status ?? unit.status)}`;
    if (!this.unitMarker) {
      this.unitMarker = new maplibregl.Marker({ element: this.unitEl, anchor: "top", offset: [0, 4] }).setLngLat(unit.position).addTo(this.map);
    } else {
      this.unitMarker.setLngLat(unit.position);
    }
    if (!this.centred && this.fittedFor === null) {
      this.centred = true;
      this.map.jumpTo({ center: unit.position, zoom: 15 });
    }
  }

  setIncident(incident: Incident | null): void {
    if (!incident?.location) {
      this.incidentMarker?.remove();
      this.incidentMarker = null;
      return;
    }
    for (const p of [1, 2, 3, 4]) this.incidentEl.classList.toggle(`p${p}`, p === incident.priority);
    this.incidentEl.textContent = t("priorityLabel", { priority: incident.priority });
    if (!this.incidentMarker) {
      this.incidentMarker = new maplibregl.Marker({ element: this.incidentEl, anchor: "bottom" }).setLngLat(incident.location).addTo(this.map);
    } else {
      this.incidentMarker.setLngLat(incident.location);
    }
  }

  setRoute(route: LineString | null, from: LonLat | null, color: string): void {
    const geometry = route && route.coordinates.length > 1 ? (from ? remaining(route, from) : route) : null;
    void this.setData("routes", {
      type: "FeatureCollection",
      features: geometry ? [{ type: "Feature", properties: { color }, geometry }] : [],
    });
  }

  /** Frame the route, the unit and the incident once per assignment (key), then leave the view to the crew. */
  frame(key: string | null, points: LonLat[]): void {
    if (key === this.fittedFor) return;
    if (key === null) {
      this.fittedFor = null;
      return;
    }
    if (points.length === 0) return;
    this.fittedFor = key;
    const b = new maplibregl.LngLatBounds(points[0], points[0]);
    for (const p of points) b.extend(p);
    this.map.fitBounds(b, { padding: 40, maxZoom: 16, animate: false });
  }
}
