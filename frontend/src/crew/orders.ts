// What the crew app receives beyond the shared types: the unit's destination hospital and move-up
// orders (issue 13), and the requests that go with them. Shapes: dispatch/hub/crew.py
// (`relocation_view`) and the OpenAPI schemas of /route, /incidents/{id}/destinations and
// /units/{id}/destination.
import type { components } from "../shared/api-schema";
import { request } from "../shared/api";
import type { CrewSnapshotMsg, LineString, LonLat, Place, RouteStep, Unit } from "../shared/types";

type Schemas = components["schemas"];
export type Hospital = Schemas["Hospital"];
export type Destinations = Schemas["Destinations"];
export type DestinationOption = Schemas["DestinationOption"];

/** The unit as the server sends it (unit_view): the shared type plus what the crew app reads. */
export type CrewUnit = Unit & {
  destination_hospital_id?: number | null;
  /** Available within 150 m of the station it is posted at. */
  in_quarters?: boolean;
};

/** A move-up order: stand by at `station`. Acknowledged like a dispatch order, by `order_id`. */
export interface Relocation {
  order_id: number;
  acknowledged_at: string | null;
  station: Place;
  route: LineString | null;
  eta_s: number | null;
  distance_m?: number | null;
  steps?: RouteStep[] | null;
}

/** `{"type": "relocation"}` on /ws/crew: sent once, then again (`resent`) until acknowledged. */
export interface RelocationMsg extends Relocation {
  type: "relocation";
  unit?: CrewUnit;
  resent?: boolean;
}

/** The crew socket's snapshot also carries the unit's move-up order, if it has one. */
export type CrewSnapshot = CrewSnapshotMsg & { relocation?: Relocation | null };

/** Whether the unit's current order is a move-up (an order with no incident). */
export function onMoveUp(unit: CrewUnit | null): boolean {
  return !!unit && unit.order_id != null && unit.incident_id === null;
}

export const roadRoute = (from: LonLat, to: LonLat) =>
  request<Schemas["RouteAnswer"]>("GET", `/route?from=${from.join(",")}&to=${to.join(",")}`);

export const hospitals = () => request<Hospital[]>("GET", "/hospitals");

export const stations = () => request<Place[]>("GET", "/stations");

export const destinationOptions = (incidentId: number) => request<Destinations>("GET", `/incidents/${incidentId}/destinations`);

export const chooseDestination = (unitId: number, hospitalId: number) =>
  request<CrewUnit>("POST", `/units/${unitId}/destination`, { hospital_id: hospitalId } satisfies Schemas["DestinationIn"]);
