// Where the crew drives now, one leg at a time: to the incident while dispatched or en route, to
// the destination hospital while transporting, to its new station on a move-up. The map's route,
// the ETA and the directions all follow this one answer.
import type { CrewAssignment, LineString, LonLat, RouteStep, UnitStatus } from "../shared/types";
import type { Relocation } from "./orders";

/** A unit this close to its station is in quarters (the backend's `Unit.IN_QUARTERS_M`). */
export const IN_QUARTERS_M = 150;

/** Ground distance in metres (equirectangular: exact enough over a city). */
export function distanceM(a: LonLat, b: LonLat): number {
  const k = Math.cos((((a[1] + b[1]) / 2) * Math.PI) / 180);
  const dx = (b[0] - a[0]) * k * 111_320;
  const dy = (b[1] - a[1]) * 110_574;
  return Math.hypot(dx, dy);
}

export type LegKind = "incident" | "hospital" | "station";

export interface Leg {
  kind: LegKind;
  /** Changes when the crew gets somewhere new to drive to (the map frames each leg once). */
  key: string;
  target: LonLat | null;
  route: LineString | null;
  eta_s: number | null;
  /** When `eta_s` was computed (ms since the epoch), for the ETA countdown. */
  at: number;
  steps: RouteStep[];
}

/** The road route to the destination hospital, fetched when transporting (GET /route). */
export interface HospitalRoute {
  hospitalId: number;
  target: LonLat;
  route: LineString | null;
  eta_s: number | null;
  at: number;
}

export interface LegInputs {
  status: UnitStatus | null;
  assignment: CrewAssignment | null;
  assignmentAt: number;
  /** The destination hospital's id and the route to it, if one was fetched for that hospital. */
  destinationId: number | null;
  hospitalRoute: HospitalRoute | null;
  /** The move-up order on show (see `showsRelocation`), and when it arrived. */
  relocation: Relocation | null;
  relocationAt: number;
}

export function currentLeg(m: LegInputs): Leg | null {
  const a = m.assignment;
  if (a && (m.status === "dispatched" || m.status === "en_route")) {
    return {
      kind: "incident",
      key: `incident:${a.incident.id}:${a.order_id ?? ""}`,
      target: a.incident.location,
      route: a.route,
      eta_s: a.eta_s,
      at: m.assignmentAt,
      steps: a.steps ?? [],
    };
  }
  if (a && m.status === "transporting") {
    const r = m.hospitalRoute;
    if (m.destinationId === null || !r || r.hospitalId !== m.destinationId) return null;
    return { kind: "hospital", key: `hospital:${a.incident.id}:${r.hospitalId}`, target: r.target, route: r.route, eta_s: r.eta_s, at: r.at, steps: [] };
  }
  const p = m.relocation;
  if (!a && p && (m.status === "available" || m.status === "returning")) {
    return {
      kind: "station",
      key: `station:${p.order_id}`,
      target: p.station.location,
      route: p.route,
      eta_s: p.eta_s,
      at: m.relocationAt,
      steps: p.steps ?? [],
    };
  }
  return null;
}
