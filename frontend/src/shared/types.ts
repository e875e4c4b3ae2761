// Shapes from docs/api.md (v1). Coordinates are [lon, lat].
// Checked at compile time against the backend's OpenAPI schemas (api-schema.d.ts, `npm run api-types`)
// where the backend publishes them: see "Contract checks" at the end.
import type { components } from "./api-schema";

export type LonLat = [number, number];

export type UnitStatus =
  | "available"
  | "dispatched"
  | "en_route"
  | "on_scene"
  | "transporting"
  | "at_hospital"
  | "returning"
  | "out_of_service"
  | "decontamination";

export type IncidentStatus =
  | "pending"
  | "dispatched"
  | "en_route"
  | "on_scene"
  | "transporting"
  | "at_hospital"
  | "closed"
  | "cancelled";

/** Call priority: 1 critical .. 4 non-urgent. */
export type Priority = 1 | 2 | 3 | 4;

/** Roles of the backend's tokens (dispatch/api/auth.py); what each may do: dispatch/api/policy.py. */
export type Role = "dispatcher" | "supervisor" | "crew" | "hospital" | "admin" | "auditor" | "telephony";

/** Final incident statuses: the incident leaves the open list. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(["closed", "cancelled"]);

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
  /** The current dispatch order (assignment id) and when its crew acknowledged it (issue 5+). */
  order_id?: number | null;
  acknowledged_at?: string | null;
  /** Why status_at is suspicious or not the crew device's own time (docs/times.md; issue 15). */
  status_flags?: string[];
  /** Fitted for isolated transport; when status is decontamination, when it ends by itself (issue 18). */
  isolation?: boolean;
  decontamination_until?: string | null;
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
  cancelled_at?: string | null;
  cancel_reason?: string | null;
  /** False when the location came from a map click or an approximate geocoder match. */
  address_verified?: boolean;
  /** Suspected infectious (respiratory / fever) and the protection the crew must wear (issue 18). */
  infectious?: boolean;
  infectious_reason?: string | null;
  protection?: "airborne" | null;
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
  /** Seconds since the unit's last GPS fix (null: never reported); `stale`: ranked by that old fix. */
  position_age_s: number | null;
  stale: boolean;
  /** The call is infectious and no isolation unit is free: this unit cannot isolate (issue 18). */
  no_isolation_unit?: boolean;
}

/** One decision of the optimiser (GET /advice), for a pending incident. */
export interface AdviceDecision {
  incident_id: number;
  unit_id: number;
  eta_s: number;
  policy: string;
  divert_from: number | null;
  explanation: {
    fallback?: string | null;
    reason?: string;
    unit?: string;
    closest_unit?: string | null;
    zone_protected?: { name?: string | null } | null;
    /** Why, as a code the console translates (dispatch/policies/explain.py one_line). */
    reason_code?: "fallback" | "divert" | "stale" | "fresh" | "nearest" | "covered" | "joint";
    [key: string]: unknown;
  } | null;
  closest: { unit_id: number; eta_s: number } | null;
  /** The same reason as one English line (for logs and exports). */
  reason: string;
  position_age_s: number | null;
  stale: boolean;
}

export interface Assignment {
  incident: Incident;
  unit: Unit;
  eta_s: number | null;
  route: LineString | null;
  /** What the crew must wear: "airborne" on a suspected infectious call (issue 18). */
  protection?: "airborne" | null;
}

/** GET /units/{id}/assignment; order_id, acknowledged_at and steps arrive with issue 5 (may be absent). */
export interface CrewAssignment extends Assignment {
  order_id?: number | null;
  acknowledged_at?: string | null;
  steps?: RouteStep[] | null;
}

export interface RouteStep {
  instruction: string;
  distance_m: number;
}

export interface AckResult {
  order_id: number;
  acknowledged_at: string;
}

export interface GeocodeCandidate {
  label: string;
  location: LonLat;
  kind: string;
  score: number;
  /** The flat, suite or room typed after the address (kept out of the match). */
  unit?: string | null;
  /** An area answer's outer ring (campus, hospital grounds, park); location is its entrance. */
  outline?: LonLat[] | null;
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
  /** Lifetime of the access token in seconds (at most 15 minutes); renewed at 80 % of it. */
  expires_in?: number;
  /** Single-use: every renewal (POST /auth/refresh) answers a new one. */
  refresh_token?: string | null;
  username: string;
  role: Role | string;
  unit_id: number | null;
  hospital_id?: number | null;
  /** Seeded and reset accounts: the change-password form comes before anything else. */
  must_change_password?: boolean;
  /** This device's clock (ms) when the access token expires; set by shared/api.ts on receipt. */
  expires_at?: number;
}

/** A login as the admin screen lists it (GET /admin/users). */
export interface AdminUser {
  username: string;
  role: Role;
  unit_id: number | null;
  hospital_id: number | null;
  active: boolean;
  must_change_password: boolean;
  failed_logins: number;
  locked_until: string | null;
  last_login_at: string | null;
}

export interface PasswordChangeBody {
  current_password: string;
  new_password: string;
}

export interface NewUserBody {
  username: string;
  role: Role;
  password: string;
  unit_id?: number | null;
  hospital_id?: number | null;
}

export interface UserPatchBody {
  active?: boolean;
  role?: Role;
  unit_id?: number | null;
  hospital_id?: number | null;
}

export interface PasswordResetBody {
  password: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: { loc: (string | number)[]; msg: string }[];
  /** A refused file (stock or count history): every bad cell, the header being row 1. */
  rows?: { row: number; column: string; reason: string }[];
}

export interface NewIncident {
  location?: LonLat;
  address?: string;
  complaint: string;
  priority: number;
}

// Request bodies (POST). Each is checked against the server's input schema below.
export interface StatusBody {
  status: UnitStatus;
  client_id?: string;
  client_seq?: number;
  /** When the crew pressed it and the device clock on sending (docs/times.md). */
  at?: string;
  sent_at?: string;
}

export interface AckBody {
  at?: string;
  sent_at?: string;
}

export interface PositionBody {
  position: LonLat;
  reported_at?: string;
  client_id?: string;
  client_seq?: number;
}

export interface AssignBody {
  unit_id: number;
}

export interface CancelBody {
  reason: string;
}

export interface NoteBody {
  text: string;
}

export interface DivertBody {
  to_incident_id: number;
  reason: string;
}

export interface ReassignBody {
  from_unit_id: number;
  to_unit_id: number;
  reason: string;
}

export interface RelocateBody {
  station_id: number;
}

// WebSocket console messages.
export interface SnapshotMsg {
  type: "snapshot";
  seq: number;
  server_time?: string;
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

/** Coalesced GPS positions (not part of the numbered event stream). */
export interface PositionsMsg {
  type: "positions";
  server_time?: string;
  units: { id: number; position: LonLat | null; position_at: string | null }[];
}

export type ServerMsg = SnapshotMsg | EventMsg | ResyncMsg | ErrorMsg | PongMsg | PositionsMsg;

// WebSocket crew messages (/ws/crew).
export interface CrewSnapshotMsg {
  type: "snapshot";
  seq: number;
  unit: Unit;
  assignment: CrewAssignment | null;
}

export interface CrewOrderMsg {
  type: "order";
  unit?: Unit;
  resent?: boolean;
  order_id: number;
  incident: Incident;
  route: LineString | null;
  eta_s: number | null;
  steps?: RouteStep[] | null;
  acknowledged_at?: string | null;
}

export interface CrewAckedMsg {
  type: "acked" | "ack";
  order_id: number;
  acknowledged_at?: string | null;
}

export type CrewServerMsg = CrewSnapshotMsg | CrewOrderMsg | EventMsg | ErrorMsg | PongMsg | CrewAckedMsg | ResyncMsg;

// Console configuration (GET /config).
export interface ResponseTarget {
  seconds: number;
  fraction: number;
}

export interface ConsoleConfig {
  protocol_version?: string;
  response_targets: Record<string, Record<string, ResponseTarget>>;
  order_resend_s: number;
  ack_alert_after_s: number;
  position_interval_s?: number;
  stale_after_s: number;
  stale_rank_margin_s: number;
  advice_policy: "joint-coverage" | "joint" | "closest";
  /** Time-in-status alarm thresholds, seconds per unit status (absent: never alarms). */
  status_alarm_s: Record<string, number>;
  /** The centre's IANA time zone: every screen shows times in it (the API stays UTC). */
  time_zone: string;
}

// Coverage (GET /coverage).
export interface CoverageProps {
  minutes: number;
  seconds: number;
  road_share: number | null;
  [k: string]: unknown;
}

export interface Coverage {
  type: "FeatureCollection";
  features: GeoJSON.Feature<GeoJSON.Polygon | GeoJSON.MultiPolygon, CoverageProps>[];
  available_units: number;
}

// Incident timeline (GET /incidents/{id}/timeline).
export interface TimelineEvent {
  seq: number;
  name: string;
  occurred_at: string;
  actor: string | null;
  unit_id?: number;
  status?: string;
  previous?: string;
  reason?: string | null;
  text?: string;
  author?: string;
  order_id?: number;
  to_incident?: number;
  [k: string]: unknown;
}

export interface Timeline {
  incident: Incident;
  events: TimelineEvent[];
}

// Unit tracks (GET /incidents/{id}/tracks).
export interface TrackProps {
  unit_id: number;
  call_sign: string;
  times: string[];
}

export interface Tracks {
  type: "FeatureCollection";
  features: GeoJSON.Feature<GeoJSON.LineString, TrackProps>[];
}

// Review KPIs (GET /review/kpis).
export interface PriorityKpi {
  priority: number;
  incidents: number;
  reached: number;
  cancelled: number;
  target_s: number;
  target_fraction: number;
  within_target: number;
  within_target_share: number | null;
  response_median_s: number | null;
  response_p90_s: number | null;
  call_to_dispatch_median_s: number | null;
  call_to_dispatch_p90_s: number | null;
  dispatch_to_departure_median_s: number | null;
  dispatch_to_departure_p90_s: number | null;
}

/** Of the intervals counted, how many were within the limit (GET /review/kpis → indicators). */
export interface IndicatorShare {
  limit_s: number;
  target_share: number;
  counted: number;
  within: number;
  excluded: number;
  share: number | null;
}

/** China's 120 quality indicators over the review period (docs/indicators.md). */
export interface Indicators {
  answered_10s: IndicatorShare;
  departure_3min: IndicatorShare;
  response: { incidents: number; reached: number; mean_s: number | null; p90_s: number | null };
  calls_per_unit: { fleet: number; total: number; mean: number | null; units: { call_sign: string; calls: number }[] };
}

export interface Kpis {
  area: string;
  protocol_version: string;
  priorities: PriorityKpi[];
  indicators: Indicators;
  /** Suspected infectious calls and decontamination (issue 18). */
  infectious?: components["schemas"]["InfectiousKpi"] | null;
  /** The emergency blood supply's requests of the period (issue 19). */
  blood?: components["schemas"]["BloodKpi"] | null;
}

/** Search filter shared by /review/incidents, /review/kpis and /review/incidents.csv. */
export interface ReviewFilter {
  from?: string | null;
  to?: string | null;
  priorities?: number[];
  statuses?: string[];
  bbox?: [number, number, number, number] | null;
  area?: "urban" | "rural";
  limit?: number;
}

/** One move-up suggestion (GET /moveups): post a free unit at another station. */
export interface MoveUp {
  unit_id: number;
  station_id: number;
  travel_s: number;
  explanation?: {
    unit?: string;
    from_station?: string;
    to_station?: string;
    travel_s?: number;
    coverage_before?: number;
    coverage_after?: number;
    zone_protected?: { name?: string } | null;
    solver?: string;
    [k: string]: unknown;
  } | null;
}

// ---- Contract checks against the OpenAPI document (type level only: nothing here reaches the bundle) ----
// A failing check is a compile error "Type 'false' does not satisfy the constraint 'true'" on its line:
// the backend and these types disagree. Regenerate api-schema.d.ts with `npm run api-types` after an
// API change. Schemas the backend does not publish yet (many routes return plain dicts) are looked up
// with `SchemaOr`, which falls back to our own type, so their check switches itself on once they appear.
type Schemas = components["schemas"];
type SchemaOr<K extends string, Fallback> = K extends keyof Schemas ? Schemas[K] : Fallback;
/** true when A and B are the same set of values (e.g. the members of an enum). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** true when every value of A is a B, and A has no key that B lacks (input schemas forbid extra keys). */
type Fits<A, B> = [A] extends [B] ? ([Exclude<keyof A, keyof B>] extends [never] ? true : false) : false;
type Check<T extends true> = T;

export type ContractChecks = [
  // Enums: the same members on both sides.
  Check<Same<UnitStatus, Schemas["UnitStatus"]>>,
  Check<Same<IncidentStatus, SchemaOr<"IncidentStatus", IncidentStatus>>>,
  Check<Same<Priority, SchemaOr<"Priority", Priority>>>,
  Check<Same<Role, SchemaOr<"Role", Role>>>,
  // What we send is what the server accepts.
  Check<Fits<NewIncident, Schemas["CallIn"]>>,
  Check<Fits<StatusBody, Schemas["StatusIn"]>>,
  Check<Fits<AckBody, Schemas["AckIn"]>>,
  Check<Fits<PositionBody, Schemas["PositionIn"]>>,
  Check<Fits<AssignBody, Schemas["AssignIn"]>>,
  Check<Fits<CancelBody, Schemas["CancelIn"]>>,
  Check<Fits<NoteBody, Schemas["NoteIn"]>>,
  Check<Fits<DivertBody, Schemas["DivertIn"]>>,
  Check<Fits<ReassignBody, Schemas["ReassignIn"]>>,
  Check<Fits<RelocateBody, Schemas["RelocateIn"]>>,
  Check<Fits<PasswordChangeBody, SchemaOr<"PasswordChangeIn", PasswordChangeBody>>>,
  Check<Fits<NewUserBody, SchemaOr<"UserIn", NewUserBody>>>,
  Check<Fits<UserPatchBody, SchemaOr<"UserPatchIn", UserPatchBody>>>,
  Check<Fits<PasswordResetBody, SchemaOr<"PasswordResetIn", PasswordResetBody>>>,
  // What the server sends is what we read (once the routes declare response models).
  Check<Fits<SchemaOr<"AdminUser", AdminUser>, AdminUser>>,
  Check<Fits<SchemaOr<"Token", Session>, Session>>,
  Check<Fits<SchemaOr<"UnitOut", Unit>, Unit>>,
  Check<Fits<SchemaOr<"IncidentOut", Incident>, Incident>>,
  Check<Fits<SchemaOr<"Indicators", Indicators>, Indicators>>,
];
