// The mass-casualty API (issue 17, docs/api.md "Mass-casualty incidents"), shared by the console's
// MCI panel, the crew app's triage block and the ED's incoming counts: typed calls over
// shared/api.ts (token renewal, problems as ApiError), the shapes from the generated OpenAPI types.
import { request } from "../../shared/api";
import { S } from "../../shared/i18n";
import type { components } from "../../shared/api-schema";

type Schemas = components["schemas"];
export type MciBoard = Schemas["MciBoard"];
export type MciPatient = Schemas["MciPatient"];
export type MciPlan = Schemas["MciPlan"];
export type PlannedTransport = Schemas["PlannedTransport"];
export type MciIncoming = Schemas["MciIncoming"];
export type SurgeCapacity = Schemas["SurgeCapacity"];
export type TriageCategory = Schemas["TriageCategory"];
export type CommandRole = Schemas["CommandRole"];

/** Most urgent first: the order of every table and of the crew's buttons. */
export const CATEGORIES: readonly TriageCategory[] = ["immediate", "delayed", "minor", "expectant", "dead"];
/** The categories an ED declares surge places for. */
export const SURGE_CATEGORIES = ["immediate", "delayed", "minor"] as const;
export const ROLES: readonly CommandRole[] = ["incident_command", "triage", "treatment", "transport", "staging"];

export const categoryLabel = (c: string): string => S.mci.categories[c] ?? c;
export const roleLabel = (r: string): string => S.mci.roleNames[r] ?? r;
export const patientStatusLabel = (s: string): string => S.mci.statuses[s] ?? s;

const base = (incidentId: number) => `/incidents/${incidentId}/mci`;

export const declareMci = (incidentId: number, patients: number) =>
  request<MciBoard>("POST", base(incidentId), { patients } satisfies Schemas["MciDeclareIn"]);
export const mciBoard = (incidentId: number) => request<MciBoard>("GET", base(incidentId));
export const bindRole = (incidentId: number, role: CommandRole, unitId: number) =>
  request<MciBoard>("PUT", `${base(incidentId)}/roles/${role}`, { unit_id: unitId } satisfies Schemas["RoleIn"]);
export const addPatient = (incidentId: number, tag: string, category: TriageCategory, note = "") =>
  request<MciPatient>("POST", `${base(incidentId)}/patients`, { tag, category, ...(note ? { note } : {}) } satisfies Schemas["PatientIn"]);
export const retriage = (incidentId: number, tag: string, category: TriageCategory) =>
  request<MciPatient>("PATCH", `${base(incidentId)}/patients/${encodeURIComponent(tag)}`, { category } satisfies Schemas["PatientPatchIn"]);
export const mciPlan = (incidentId: number) => request<MciPlan>("GET", `${base(incidentId)}/plan`);
export const confirmTransport = (incidentId: number, t: PlannedTransport) =>
  request<MciPatient[]>("POST", `${base(incidentId)}/transports`, {
    unit_id: t.unit_id,
    hospital_id: t.hospital_id,
    patients: t.patients,
  } satisfies Schemas["TransportIn"]);
export const mciIncoming = (hospitalId: number) => request<MciIncoming>("GET", `/hospitals/${hospitalId}/mci/incoming`);
export const declareSurge = (hospitalId: number, body: Schemas["SurgeIn"]) =>
  request<SurgeCapacity>("PUT", `/hospitals/${hospitalId}/surge`, body);

/** Events after which a board, a plan or a crew's list may have changed. */
export function isMciEvent(name: string): boolean {
  return name.startsWith("Mci") || name === "SurgeCapacityDeclared";
}
