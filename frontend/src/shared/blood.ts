// The emergency blood supply API (issue 19, docs/api.md "Emergency blood supply"), shared by the
// ED's Blood panel (hospital/blood.ts), the courier crew's deliveries (crew/blood.ts) and the
// console's Blood panel (console/panels/blood.ts): typed calls over shared/api.ts (token renewal,
// problems as ApiError), the shapes from the generated OpenAPI types, and the labels.
import { request } from "./api";
import type { components } from "./api-schema";
import { duration } from "./format";
import { lang, S } from "./i18n";

type Schemas = components["schemas"];
export type BloodBank = Schemas["BloodBank"];
export type BloodRequest = Schemas["BloodRequest"];
export type BloodRequestIn = Schemas["BloodRequestIn"];
export type DeliveryJob = Schemas["DeliveryJob"];
export type AllocationLine = Schemas["AllocationLine"];
export type BloodPlan = Schemas["BloodPlan"];
export type PlanRequest = Schemas["PlanRequest"];
export type PlanStop = Schemas["PlanStop"];
export type Courier = Schemas["Courier"];
export type Product = Schemas["Product"];
export type Urgency = Schemas["Urgency"];
export type JobState = Schemas["JobState"];
export type Bilingual = Schemas["Bilingual"];

export const PRODUCTS: readonly Product[] = ["red_cells", "plasma", "platelets", "cryo"];
export const URGENCIES: readonly Urgency[] = ["life_threatening", "urgent", "routine"];
/** The eight ABO/RhD groups as the server reads them strictly (docs/blood.md). */
export const GROUPS: readonly string[] = ["O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+"];
/** Most units one request may ask for (the API's bound). */
export const MAX_UNITS = 50;

// -- calls ------------------------------------------------------------------------------------

export const banks = () => request<BloodBank[]>("GET", "/blood/banks");
export type StockLot = Schemas["StockLot"];
export const stock = () => request<StockLot[]>("GET", "/blood/stock");
/** One lot's free units as counted at the bank (supervisor). */
export const setStock = (bankId: number, lot: Schemas["StockIn"]) => request<StockLot>("PUT", `/blood/banks/${bankId}/stock`, lot);
/** A stock CSV, all rows or none (supervisor); refused: ApiError whose problem lists `rows`. */
export const importStock = (csv: string) => request<Schemas["StockImported"]>("POST", "/blood/stock/import", { csv });
export const couriers = () => request<Courier[]>("GET", "/blood/couriers");
export const allRequests = () => request<BloodRequest[]>("GET", "/blood/requests");
export const hospitalRequests = (hospitalId: number) => request<BloodRequest[]>("GET", `/blood/hospitals/${hospitalId}/requests`);
export const requestBlood = (hospitalId: number, body: BloodRequestIn) =>
  request<BloodRequest>("POST", `/blood/hospitals/${hospitalId}/requests`, body);
export const assignCourier = (requestId: number, unitId: number) =>
  request<BloodRequest>("POST", `/blood/requests/${requestId}/jobs`, { unit_id: unitId } satisfies Schemas["AssignIn"]);
export const unitJobs = (unitId: number) => request<DeliveryJob[]>("GET", `/blood/units/${unitId}/jobs`);
export const pickUp = (unitId: number, jobId: number) => request<DeliveryJob>("POST", `/blood/units/${unitId}/jobs/${jobId}/pickup`);
export const handover = (hospitalId: number, jobId: number, receivedBy: string) =>
  request<DeliveryJob>("POST", `/blood/hospitals/${hospitalId}/jobs/${jobId}/handover`, { received_by: receivedBy } satisfies Schemas["HandoverIn"]);
export const plan = () => request<BloodPlan>("GET", "/blood/plan");
/** Another courier takes a delivery not yet picked up. */
export const reassignJob = (jobId: number, unitId: number, reason: string) =>
  request<DeliveryJob>("POST", `/blood/jobs/${jobId}/reassign`, { unit_id: unitId, reason });
/** The dispatcher's choice when no courier makes a life-threatening deadline (the plan's offer). */
export const sendAmbulance = (requestId: number, unitId: number) =>
  request<BloodRequest>("POST", `/blood/requests/${requestId}/ambulance`, { unit_id: unitId });

// -- labels -----------------------------------------------------------------------------------

export const say = (b: Bilingual | null | undefined): string => (b ? (lang === "zh" ? b.zh : b.en) : "");
export const productLabel = (p: string): string => S.blood.products[p] ?? p;
export const urgencyLabel = (u: string): string => S.blood.urgencies[u] ?? u;
export const jobStateLabel = (s: string): string => S.blood.jobStates[s] ?? s;

/** What a ward reads of a request: allocated, waitlisted, assigned, picked up, delivered, cancelled. */
export type ShownStatus = "allocated" | "waitlisted" | "assigned" | "picked_up" | "delivered" | "cancelled";

export function shownStatus(r: BloodRequest): ShownStatus {
  switch (r.status) {
    case "reserved":
      return "allocated";
    case "waitlisted":
      return "waitlisted";
    case "delivered":
      return "delivered";
    case "cancelled":
      return "cancelled";
    case "dispatched": {
      const open = r.jobs.filter((j) => j.state !== "cancelled" && j.state !== "delivered");
      return open.length > 0 && open.every((j) => j.state === "picked_up") ? "picked_up" : "assigned";
    }
  }
}
export const statusLabel = (s: ShownStatus): string => S.blood.statuses[s] ?? s;

/** Open: the ward still waits for it (neither delivered nor cancelled). */
export const isOpen = (r: BloodRequest): boolean => r.status !== "delivered" && r.status !== "cancelled";

/** "red cells 4 × O-" */
export function what(r: { product: string; units: number; group?: string }): string {
  return `${productLabel(r.product)} ${r.units} × ${r.group ?? ""}`.trim();
}

/** One allocation line: "4 × O- · lot S-200 · North bank", with "substitute" for a compatible substitute. */
export function allocationText(a: AllocationLine, bankName: (id: number) => string): string {
  const parts = [`${a.units} × ${a.group}`, `${S.blood.lot} ${a.lot}`, bankName(a.bank_id)];
  if (!a.identical) parts.push(S.blood.substitute);
  return parts.join(" · ");
}

/** "in 12:30" before the time, "12:30 late" after it. */
export function countdown(iso: string, now: number): string {
  const left = (Date.parse(iso) - now) / 1000;
  if (Number.isNaN(left)) return "";
  return left >= 0 ? S.blood.inTime.replace("{t}", duration(left)) : S.blood.lateBy.replace("{t}", duration(-left));
}

/** The plan's planned handover per delivery: by job id, and by request id for proposed jobs. */
export interface PlannedHandovers {
  byJob: Map<number, PlanStop>;
  byRequest: Map<number, PlanStop>;
  courierOf: Map<number, number>;
}

export function plannedHandovers(p: BloodPlan | null): PlannedHandovers {
  const byJob = new Map<number, PlanStop>();
  const byRequest = new Map<number, PlanStop>();
  const courierOf = new Map<number, number>();
  for (const route of p?.routes ?? []) {
    for (const stop of route.stops) {
      if (stop.kind !== "delivery") continue;
      if (stop.job_id !== null) byJob.set(stop.job_id, stop);
      const seen = byRequest.get(stop.request_id);
      if (!seen || Date.parse(stop.arrive_at) > Date.parse(seen.arrive_at)) byRequest.set(stop.request_id, stop);
      if (stop.job_id === null && !courierOf.has(stop.request_id)) courierOf.set(stop.request_id, route.unit_id);
    }
  }
  return { byJob, byRequest, courierOf };
}
