// The crew's legal status moves, the backend's UNIT_TRANSITIONS (dispatch/domain/model.py, docs/api.md):
// dispatched -> en_route -> on_scene -> (transporting -> at_hospital ->) available or returning;
// returning -> available or out_of_service; available <-> out_of_service.
// After a suspected infectious call the server puts the unit in decontamination (no button):
// decontamination -> available ("clean") or out_of_service; the server also ends it on expiry.
import type { UnitStatus } from "../shared/types";

/** Every unit status, in lifecycle order: one button each. */
export const LIFECYCLE: readonly UnitStatus[] = [
  "dispatched",
  "en_route",
  "on_scene",
  "transporting",
  "at_hospital",
  "returning",
  "available",
  "out_of_service",
];

/** Statuses only the server sets (no button): after an infectious transport (issue 18). */
export const SERVER_SET: readonly UnitStatus[] = ["decontamination"];

const NEXT: Record<UnitStatus, readonly UnitStatus[]> = {
  dispatched: ["en_route"],
  en_route: ["on_scene"],
  on_scene: ["transporting", "available", "returning"],
  transporting: ["at_hospital"],
  at_hospital: ["available", "returning"],
  returning: ["available", "out_of_service"],
  available: ["out_of_service"],
  out_of_service: ["available"],
  decontamination: ["available", "out_of_service"],
};

export function nextStatuses(current: UnitStatus | null | undefined): readonly UnitStatus[] {
  return current ? NEXT[current] ?? [] : [];
}

export function isLegal(from: UnitStatus | null | undefined, to: UnitStatus): boolean {
  return nextStatuses(from).includes(to);
}

/** Statuses in which the unit works an incident (its assignment is shown). */
export function onAssignment(status: UnitStatus | null | undefined): boolean {
  return status === "dispatched" || status === "en_route" || status === "on_scene" || status === "transporting" || status === "at_hospital";
}
