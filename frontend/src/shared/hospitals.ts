// The hospital loop's REST calls and shapes, shared by the console (hospital board, destination
// advice) and the ED screen (/hospital/). Types come straight from the OpenAPI document, so a
// change of the backend's answers is a compile error here.
import { request } from "./api";
import type { components } from "./api-schema";
import { S } from "./i18n";

type Schemas = components["schemas"];
export type Hospital = Schemas["Hospital"];
export type EdStatus = Hospital["ed_status"];
export type Destinations = Schemas["Destinations"];
export type DestinationOption = Destinations["options"][number];
export type IncomingAck = Schemas["IncomingAck"];
export type HospitalStatusBody = Schemas["HospitalStatusIn"];
export type Unit = Schemas["Unit"];

/** A report older than this is flagged on the board: ask the ED by phone (docs/api.md). */
export const STALE_REPORT_S = 4 * 3600;

/** The patient summary of `/ws/hospital` (docs/api.md, "Hospitals"): never caller data. */
export interface IncomingPatient {
  incident_id: number;
  incident_number: string;
  unit: string;
  unit_status: string;
  complaint: string | null;
  priority: number;
  determinant: string | null;
  needs: string | null;
  eta_s: number | null;
  acknowledged_at: string | null;
}

export interface InboundMsg {
  type: "inbound";
  hospital: Hospital;
  patients: IncomingPatient[];
  seq: number;
}

export const hospitals = () => request<Hospital[]>("GET", "/hospitals");
export const setHospitalStatus = (hospitalId: number, body: HospitalStatusBody) =>
  request<Hospital>("POST", `/hospitals/${hospitalId}/status`, body);
export const destinations = (incidentId: number) => request<Destinations>("GET", `/incidents/${incidentId}/destinations`);
export const chooseDestination = (unitId: number, hospitalId: number) =>
  request<Unit>("POST", `/units/${unitId}/destination`, { hospital_id: hospitalId });
export const acknowledgeIncoming = (hospitalId: number, incidentId: number) =>
  request<IncomingAck>("POST", `/hospitals/${hospitalId}/incoming/${incidentId}/ack`);

/** URL of the ED socket on the same origin (the token rides in the subprotocol, never here). */
export function hospitalSocketUrl(): string {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${window.location.host}/ws/hospital`;
}

export function edStatusLabel(status: string): string {
  return S.hospitalLoop.edStatus[status] ?? status;
}

export function capabilityLabel(c: string): string {
  return S.hospitalLoop.capabilities[c] ?? c;
}

/** `{name}` placeholders of the hospital-loop strings. */
export function fill(text: string, params: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_m, name: string) => String(params[name] ?? `{${name}}`));
}

/** Seconds since an ED's last report (null: it never reported). */
export function reportAge(h: Hospital, nowMs: number): number | null {
  if (!h.status_at) return null;
  const t = Date.parse(h.status_at);
  return Number.isNaN(t) ? null : Math.max(0, (nowMs - t) / 1000);
}

export function isStaleReport(h: Hospital, nowMs: number): boolean {
  const age = reportAge(h, nowMs);
  return age === null || age > STALE_REPORT_S;
}
