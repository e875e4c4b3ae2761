// The console's in-memory picture: units, open incidents, routes and the current selection.
// Panels and the map subscribe to change notifications; nothing else mutates these maps.
import { measure, sweepMeasures } from "../shared/perf";
import { FINAL_STATUSES, type ConsoleConfig, type Incident, type LineString, type LonLat, type Unit } from "../shared/types";

/** "positions" = only GPS positions moved (no status change): the map redraws, tables do not. */
export type Change = "units" | "incidents" | "routes" | "selection" | "callLocation" | "positions" | "config";
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
  /** Unit ids whose position changed since the last notification. */
  readonly moved = new Set<number>();
  /** Server settings (targets, alert thresholds); null until GET /config answered. */
  config: ConsoleConfig | null = null;
  /** When each order was given (UnitAssigned and UnitRelocated events), by order id. */
  readonly orderTimes = new Map<number, number>();
  /** Server clock minus the local monotonic clock, from the last server_time seen (ms). */
  private serverOffset: number | null = null;

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
    const t0 = performance.now();
    const changes = this.pending;
    this.pending = new Set();
    for (const fn of this.listeners) fn(changes);
    this.statusChanged.clear();
    this.moved.clear();
    measure("gh:render", t0);
  }

  /** Remember the server's clock (snapshot / positions `server_time`). */
  setServerTime(iso: string | undefined): void {
    if (!iso) return;
    const t = Date.parse(iso);
    if (!Number.isNaN(t)) this.serverOffset = t - performance.now();
  }

  /** The server's current time in ms (falls back to the browser clock until the server spoke). */
  serverNow(): number {
    return this.serverOffset === null ? Date.now() : performance.now() + this.serverOffset;
  }

  setConfig(c: ConsoleConfig): void {
    this.config = c;
    this.notify("config");
  }

  /** Units working the incident now (its `unit_ids` also lists units that left it). */
  currentUnits(i: Incident): number[] {
    return i.unit_ids.filter((id) => this.units.get(id)?.incident_id === i.id);
  }

  /** Response target (seconds) of a priority, urban area; null when unknown. */
  targetSeconds(priority: number, area = "urban"): number | null {
    return this.config?.response_targets[area]?.[String(priority)]?.seconds ?? null;
  }

  /** No position for stale_after_s (server time); out-of-service units are never stale. */
  isStale(u: Unit, now = this.serverNow()): boolean {
    if (u.status === "out_of_service" || !this.config) return false;
    if (!u.position_at) return true;
    return now - Date.parse(u.position_at) > this.config.stale_after_s * 1000;
  }

  /** An order nobody acknowledged after ack_alert_after_s (server time): a dispatch order, or a
   * move-up order to an available or returning unit (a crew that never saw its new post leaves
   * the district it was moved to cover uncovered). */
  isUnacked(u: Unit, now = this.serverNow()): boolean {
    if (!this.config || u.order_id === null || u.order_id === undefined || u.acknowledged_at) return false;
    if (u.status !== "dispatched" && u.status !== "available" && u.status !== "returning") return false;
    const given = this.orderTimes.get(u.order_id) ?? (u.status_at ? Date.parse(u.status_at) : NaN);
    return !Number.isNaN(given) && now - given > this.config.ack_alert_after_s * 1000;
  }

  /** GPS positions (telemetry): apply the newer ones; only the map and routes follow. */
  applyPositions(list: { id: number; position: LonLat | null; position_at: string | null }[]): void {
    let any = false;
    for (const p of list) {
      const u = this.units.get(p.id);
      if (!u || !p.position) continue;
      if (u.position_at && p.position_at && Date.parse(p.position_at) <= Date.parse(u.position_at)) continue;
      this.units.set(p.id, { ...u, position: p.position, position_at: p.position_at });
      this.moved.add(p.id);
      any = true;
    }
    if (any) this.notify("positions");
  }

  reset(units: Unit[], incidents: Incident[]): void {
    this.units.clear();
    this.incidents.clear();
    for (const u of units) {
      this.units.set(u.id, u);
      this.statusChanged.add(u.id); // everything is news after a snapshot
    }
    for (const i of incidents) if (!FINAL_STATUSES.has(i.status)) this.incidents.set(i.id, i);
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
    if (FINAL_STATUSES.has(i.status)) {
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

sweepMeasures(["gh:ws-batch", "gh:render"]);
