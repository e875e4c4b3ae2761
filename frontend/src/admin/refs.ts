// What the admin binds logins to: the fleet's units (crew logins) and the hospitals (ED logins).
// Reference data only (GET /units, GET /hospitals): call signs and names, no incident.
import * as api from "../shared/api";
import type { Place, Unit } from "../shared/types";

export interface Refs {
  units: Unit[];
  hospitals: Place[];
}

export async function loadRefs(): Promise<Refs> {
  const [units, hospitals] = await Promise.all([api.units(), api.hospitals()]);
  units.sort((a, b) => a.call_sign.localeCompare(b.call_sign, undefined, { numeric: true }));
  hospitals.sort((a, b) => a.name.localeCompare(b.name));
  return { units, hospitals };
}

export function unitLabel(refs: Refs, id: number | null): string | null {
  if (id === null) return null;
  return refs.units.find((u) => u.id === id)?.call_sign ?? `#${id}`;
}

export function hospitalLabel(refs: Refs, id: number | null): string | null {
  if (id === null) return null;
  return refs.hospitals.find((h) => h.id === id)?.name ?? `#${id}`;
}

/** Options of a unit or hospital picker: "(none)" first, then every choice; `selected` marked. */
export function fillPicker(select: HTMLSelectElement, none: string, choices: { id: number; label: string }[], selected: number | null): void {
  const options = [new Option(none, ""), ...choices.map((c) => new Option(c.label, String(c.id)))];
  select.replaceChildren(...options);
  select.value = selected === null ? "" : String(selected);
}

export const unitChoices = (refs: Refs) => refs.units.map((u) => ({ id: u.id, label: u.call_sign }));
export const hospitalChoices = (refs: Refs) => refs.hospitals.map((h) => ({ id: h.id, label: h.name }));

/** A picker's value as an id (null for "(none)"). */
export function pickedId(select: HTMLSelectElement): number | null {
  return select.value === "" ? null : Number(select.value);
}
