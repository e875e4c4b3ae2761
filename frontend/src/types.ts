// Shapes from docs/api.md (v1). Coordinates are [lon, lat].

export type LonLat = [number, number];

export type UnitStatus =
  | "available"
  | "dispatched"
  | "en_route"
  | "on_scene"
  | "transporting"
  | "at_hospital"
  | "out_of_service";

export type IncidentStatus =
  | "pending"
  | "dispatched"
  | "en_route"
  | "on_scene"
  | "transporting"
  | "at_hospital"
  | "closed";

export interface Unit {
  id: number;
  call_sign: string;
  capability: string;
  status: UnitStatus;
  status_at: string | null;
  position: LonLat | null;
  position_at: string | null;
  station_id: number | null;
  incident_id: number | null;
}

export interface Incident {
  id: number;
  number: string;
  location: LonLat | null;
  address: string | null;
  complaint: string | null;
  priority: number;
  status: IncidentStatus;
  unit_ids: number[];
  received_at: string;
  dispatched_at: string | null;
  en_route_at: string | null;
  on_scene_at: string | null;
  transporting_at: string | null;
  at_hospital_at: string | null;
  closed_at: string | null;
}

export interface LineString {
  type: "LineString";
  coordinates: LonLat[];
}

export interface Recommendation {
  rank: number;
  unit: Unit;
  eta_s: number;
  distance_m: number;
  route: LineString | null;
}

export interface Assignment {
  incident: Incident;
  unit: Unit;
  eta_s: number | null;
  route: LineString | null;
}

export interface GeocodeCandidate {
  label: string;
  location: LonLat;
  kind: string;
  score: number;
}

export interface MapInfo {
  name: string;
  bbox: [number, number, number, number];
  center: LonLat;
}

export interface Place {
  id: number;
  name: string;
  location: LonLat;
}

export interface Session {
  access_token: string;
  token_type: string;
  username: string;
  role: "dispatcher" | "supervisor" | "crew" | string;
  unit_id: number | null;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { loc: (string | number)[]; msg: string }[];
}

export interface NewIncident {
  location?: LonLat;
  address?: string;
  complaint: string;
  priority: number;
}

// WebSocket console messages.
export interface SnapshotMsg {
  type: "snapshot";
  seq: number;
  units: Unit[];
  incidents: Incident[];
}

export interface EventMsg {
  type: "event";
  seq: number;
  name: string;
  occurred_at: string;
  actor: string | null;
  data: { unit?: Unit; incident?: Incident; [k: string]: unknown };
}

export interface ResyncMsg {
  type: "resync";
  reason?: string;
}

export interface ErrorMsg {
  type: "error";
  code?: string;
  detail?: string;
}

export interface PongMsg {
  type: "pong";
}

export type ServerMsg = SnapshotMsg | EventMsg | ResyncMsg | ErrorMsg | PongMsg;
