// The console's in-memory picture: units, open incidents, routes and the current selection.
// Panels and the map subscribe to change notifications; nothing else mutates these maps.
import type { Incident, LineString, LonLat, Unit } from "./types";

export type Change = "units" | "incidents" | "routes" | "selection" | "callLocation";
type Listener = (changes: Set<Change>) => void;

export interface UnitRoute {
  unitId: number;
  incidentId: number | null;
  route: LineString;
}

class Store {
  readonly units = new Map<number, Unit>();
  readonly incidents = new Map<number, Incident>();
  /** Routes of assigned units, keyed by unit id. */
  readonly routes = new Map<number, UnitRoute>();
  selectedIncidentId: number | null = null;
  callLocation: LonLat | null = null;
  /** Unit ids whose status changed since the last notification (used to refresh ETAs). */
  readonly statusChanged = new Set<number>();

  private listeners: Listener[] = [];
  private pending = new Set<Change>();
  private scheduled = false;

  subscribe(fn: Listener): void {
    this.listeners.push(fn);
  }

  /** Coalesce notifications into one per animation frame. */
  notify(change: Change): void {
    this.pending.add(change);
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      if (!this.scheduled) return;
      this.scheduled = false;
      this.flush();
    };
    // rAF pauses in hidden tabs; the timer keeps a background console current.
    requestAnimationFrame(run);
    window.setTimeout(run, 250);
  }

  /** Deliver queued notifications now (also used when the tab is hidden and rAF stalls). */
  flush(): void {
    if (this.pending.size === 0) return;
    const changes = this.pending;
    this.pending = new Set();
    for (const fn of this.listeners) fn(changes);
    this.statusChanged.clear();
  }

  reset(units: Unit[], incidents: Incident[]): void {
    this.units.clear();
    this.incidents.clear();
    for (const u of units) {
      this.units.set(u.id, u);
      this.statusChanged.add(u.id); // everything is news after a snapshot
    }
    for (const i of incidents) if (i.status !== "closed") this.incidents.set(i.id, i);
    for (const [id, r] of this.routes) {
      const u = this.units.get(id);
      if (!u || u.incident_id === null || u.incident_id !== r.incidentId) this.routes.delete(id);
    }
    if (this.selectedIncidentId !== null && !this.incidents.has(this.selectedIncidentId)) {
      this.selectedIncidentId = null;
      this.notify("selection");
    }
    this.notify("units");
    this.notify("incidents");
    this.notify("routes");
  }

  upsertUnit(u: Unit): void {
    const old = this.units.get(u.id);
    this.units.set(u.id, u);
    if (!old || old.status !== u.status || old.incident_id !== u.incident_id) this.statusChanged.add(u.id);
    const r = this.routes.get(u.id);
    if (r && (u.incident_id === null || u.incident_id !== r.incidentId)) {
      this.routes.delete(u.id);
      this.notify("routes");
    }
    this.notify("units");
  }

  upsertIncident(i: Incident): void {
    if (i.status === "closed") {
      this.incidents.delete(i.id);
      if (this.selectedIncidentId === i.id) {
        this.selectedIncidentId = null;
        this.notify("selection");
      }
    } else {
      this.incidents.set(i.id, i);
    }
    this.notify("incidents");
  }

  setRoute(unitId: number, incidentId: number | null, route: LineString | null): void {
    if (route && route.coordinates.length > 1) this.routes.set(unitId, { unitId, incidentId, route });
    else this.routes.delete(unitId);
    this.notify("routes");
  }

  // User actions render at once; only the event stream is coalesced per frame.
  select(incidentId: number | null): void {
    this.selectedIncidentId = incidentId;
    this.notify("selection");
    this.flush();
  }

  setCallLocation(loc: LonLat | null): void {
    this.callLocation = loc;
    this.notify("callLocation");
    this.flush();
  }

  clear(): void {
    this.units.clear();
    this.incidents.clear();
    this.routes.clear();
    this.selectedIncidentId = null;
    this.callLocation = null;
    this.notify("units");
    this.notify("incidents");
    this.notify("routes");
    this.notify("selection");
    this.notify("callLocation");
  }
}

export const store = new Store();
