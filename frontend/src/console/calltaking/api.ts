// REST calls of the call-taker's screen: phone lines, triage card, duplicate check, reverse
// geocoding. Shapes come from the server's OpenAPI document (api-schema.d.ts), never by hand.
import { request } from "../../shared/api";
import type { components } from "../../shared/api-schema";
import type { Incident, LonLat } from "../../shared/types";

type Schemas = components["schemas"];
export type PhoneCall = Schemas["PhoneCall"];
export type TriageCard = Schemas["TriageCard"];
export type TriageProtocol = Schemas["TriageProtocol"];
export type Complaint = Schemas["ChiefComplaint"];
export type IntakeCheck = Schemas["IntakeCheck"];
export type ReverseHit = Schemas["ReverseHit"];
export type CallerIn = Schemas["CallerIn"];

export const liveCalls = () => request<PhoneCall[]>("GET", "/telephony/calls");
export const answerCall = (id: number) => request<PhoneCall>("POST", `/telephony/calls/${id}/answer`);
export const endCall = (id: number) => request<PhoneCall>("POST", `/telephony/calls/${id}/end`, {});
export const protocol = () => request<TriageProtocol>("GET", "/triage/protocol");
export const evaluate = (complaintCode: string, answers: Record<string, string>) =>
  request<TriageCard>("POST", "/triage/evaluate", { complaint_code: complaintCode, answers });
export const reverse = (loc: LonLat) => request<ReverseHit>("GET", `/reverse?lon=${loc[0]}&lat=${loc[1]}`);

export interface CheckBody {
  location?: LonLat;
  complaint?: string;
  complaint_code?: string;
  caller?: CallerIn;
}
export const intakeCheck = (body: CheckBody) => request<IntakeCheck>("POST", "/intake/check", body);
/** A further call joins an open incident; ``phoneCallId``: the answered line it came in on. */
export const linkCall = (incidentId: number, complaint: string, caller?: CallerIn, phoneCallId?: number) =>
  request<Incident>("POST", `/incidents/${incidentId}/calls`, {
    complaint,
    ...(caller ? { caller } : {}),
    ...(phoneCallId !== undefined ? { phone_call_id: phoneCallId } : {}),
  });
export const addNote = (incidentId: number, text: string) => request<unknown>("POST", `/incidents/${incidentId}/notes`, { text });

export interface CallBody {
  location?: LonLat;
  address?: string;
  complaint: string;
  priority?: number;
  complaint_code?: string;
  /** The answered phone line: the incident is received when it rang (NEMSIS eTimes.01). */
  phone_call_id?: number;
  answers?: Record<string, string>;
  caller?: CallerIn;
}
export const createCall = (body: CallBody) => request<Incident>("POST", "/incidents", body);
