// The hospital board: every ED's status (open / diversion / closed), free beds (in the ED and per
// speciality: stroke unit, cath lab...), what it can treat
// and how old its last report is. Loaded from GET /hospitals after each snapshot and kept live
// by the HospitalStatusChanged events of /ws/console (no polling); a report older than
// STALE_REPORT_S (or none at all) is flagged, because a bed count nobody confirmed in hours is a
// guess and the dispatcher should phone the ED.
import "./hospitals.css";

import { h, setText } from "../../shared/dom";
import { duration } from "../../shared/format";
import { S } from "../../shared/i18n";
import { showError } from "../../shared/panels/message";
import {
  capabilityLabel,
  edStatusLabel,
  fill,
  hospitals,
  isStaleReport,
  reportAge,
  STALE_REPORT_S,
  type Hospital,
} from "../../shared/hospitals";
import type { EventMsg } from "../../shared/types";

export interface HospitalBoard {
  /** Reload every hospital (after a snapshot: the socket may have missed reports). */
  reload(): void;
  /** Apply a console event (HospitalStatusChanged). */
  event(msg: EventMsg): void;
  /** Once a second: report ages. */
  tick(now: number): void;
  /** The hospitals as last known, by id (the destination advice shows their names). */
  readonly byId: ReadonlyMap<number, Hospital>;
  /** Told whenever a hospital changed (status, beds) or the list was reloaded. */
  onChange(fn: () => void): void;
}

const HOURS = STALE_REPORT_S / 3600;

/** "Stroke 1 · PCI 0": the free beds each speciality reported (empty when it reports none). */
function capabilityBeds(hosp: Hospital): string {
  return Object.entries(hosp.capability_beds ?? {})
    .map(([c, n]) => `${capabilityLabel(c)} ${n}`)
    .join(" · ");
}

const reportTime = (hosp: Hospital) => (hosp.status_at ? Date.parse(hosp.status_at) : 0);

export function mountHospitalBoard(root: HTMLElement, now: () => number): HospitalBoard {
  const list = h("div", { class: "scroll", "data-testid": "hospital-board" });
  root.append(h("div", { class: "panel-title" }, h("h2", {}, S.hospitalLoop.board)), list);
  const byId = new Map<number, Hospital>();
  const ages = new Map<number, HTMLElement>();
  const listeners: (() => void)[] = [];
  let requestNo = 0;

  const changed = () => {
    for (const fn of listeners) fn();
  };

  const ageOf = (hosp: Hospital, at: number, el: HTMLElement) => {
    const age = reportAge(hosp, at);
    setText(el, age === null ? S.hospitalLoop.neverUpdated : duration(age));
    const stale = isStaleReport(hosp, at);
    el.classList.toggle("stale", stale);
    el.dataset["stale"] = String(stale);
    el.title = stale
      ? fill(S.hospitalLoop.staleTitle, { hours: HOURS })
      : fill(S.hospitalLoop.updatedAgo, { age: age === null ? "" : duration(age) });
  };

  const row = (hosp: Hospital): HTMLElement => {
    const age = h("span", { class: "hb-age", "data-testid": `hospital-age-${hosp.id}` });
    ages.set(hosp.id, age);
    ageOf(hosp, now(), age);
    // One line per ED (the right column is crowded); what it can treat is the row's tooltip.
    return h(
      "div",
      {
        class: `hb-row ed-${hosp.ed_status}`,
        "data-testid": `hospital-row-${hosp.id}`,
        "data-ed-status": hosp.ed_status,
        title: hosp.capabilities.map(capabilityLabel).join(" · "),
      },
      h("span", { class: "hb-name" }, hosp.name),
      h("span", { class: "hb-cap-beds mono", "data-testid": `hospital-capability-beds-${hosp.id}` }, capabilityBeds(hosp)),
      h("span", { class: "hb-beds mono", "data-testid": `hospital-beds-${hosp.id}`, title: fill(S.hospitalLoop.beds, { n: hosp.beds_available }) }, `${hosp.beds_available} ${S.hospitalLoop.bedsShort}`),
      age,
      h("span", { class: `badge ed-badge ed-${hosp.ed_status}`, "data-testid": `hospital-status-${hosp.id}` }, edStatusLabel(hosp.ed_status)),
    );
  };

  const render = () => {
    ages.clear();
    const sorted = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
    list.replaceChildren(...sorted.map(row));
    changed();
  };

  const reload = () => {
    const mine = ++requestNo;
    hospitals()
      .then((hs) => {
        if (mine !== requestNo) return;
        // An event that arrived while the list was being read may be newer than the answer.
        const seen = new Map(byId);
        byId.clear();
        for (const hosp of hs) {
          const live = seen.get(hosp.id);
          byId.set(hosp.id, live && reportTime(live) > reportTime(hosp) ? live : hosp);
        }
        render();
      })
      .catch((e: unknown) => {
        if (mine === requestNo) showError(e);
      });
  };

  const event = (msg: EventMsg) => {
    if (msg.name !== "HospitalStatusChanged") return;
    const id = msg.data["hospital"];
    if (typeof id !== "number") return;
    const old = byId.get(id);
    if (!old) {
      reload(); // a hospital we have not seen: read them all
      return;
    }
    const d = msg.data as Partial<Hospital> & { hospital_name?: string };
    byId.set(id, {
      ...old,
      name: d.hospital_name ?? old.name,
      ed_status: d.ed_status ?? old.ed_status,
      beds_available: typeof d.beds_available === "number" ? d.beds_available : old.beds_available,
      capabilities: Array.isArray(d.capabilities) ? d.capabilities : old.capabilities,
      capability_beds: d.capability_beds && typeof d.capability_beds === "object" ? d.capability_beds : old.capability_beds,
      status_at: msg.occurred_at,
    });
    render();
  };

  const tick = (at: number) => {
    for (const [id, el] of ages) {
      const hosp = byId.get(id);
      if (hosp) ageOf(hosp, at, el);
    }
  };

  return { reload, event, tick, byId, onChange: (fn) => listeners.push(fn) };
}
