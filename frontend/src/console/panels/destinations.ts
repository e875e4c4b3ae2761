// Destination advice for the units that carry (or are about to carry) a patient: for the selected
// incident's units on scene or transporting, the hospitals ranked by road ETA and the capability
// the triage asks for, diversions and closed EDs skipped with the reason (GET
// /incidents/{id}/destinations). One click on "Set", or the key H for the first option, names
// the destination (POST /units/{id}/destination); the crew app then routes there. Below each
// unit: whether the receiving ED has acknowledged the patient (PatientAcknowledged events, and
// the incident's timeline when it is selected, so a reload does not forget).
import { timeline } from "../../shared/api";
import { h } from "../../shared/dom";
import { clock } from "../../shared/format";
import { lang, S, statusLabel } from "../../shared/i18n";
import { showError, showMessage } from "../../shared/panels/message";
import {
  capabilityLabel,
  chooseDestination,
  destinations,
  edStatusLabel,
  fill,
  type DestinationOption,
  type Destinations,
} from "../../shared/hospitals";
import type { EventMsg, Unit } from "../../shared/types";
import { store } from "../state";
import type { HospitalBoard } from "./hospitals";

/** Unit statuses with a patient on board or about to be: they get destination advice. */
const WITH_PATIENT: ReadonlySet<string> = new Set(["on_scene", "transporting"]);

interface Ack {
  hospitalId: number;
  at: string;
}

export interface DestinationAdvice {
  event(msg: EventMsg): void;
  /** After a snapshot: acknowledgements and options may have changed while we were away. */
  reload(): void;
}

const destinationOf = (u: Unit): number | null =>
  (u as Unit & { destination_hospital_id?: number | null }).destination_hospital_id ?? null;

export function mountDestinations(root: HTMLElement, board: HospitalBoard, enabled: () => boolean): DestinationAdvice {
  const list = h("div", { class: "scroll", "data-testid": "destinations" });
  root.append(h("div", { class: "panel-title" }, h("h2", {}, S.hospitalLoop.destinations)), list);
  root.hidden = true;

  /** The last acknowledgement per unit, while it answers the unit's present destination. */
  const acks = new Map<number, Ack>();
  let incidentId: number | null = null;
  let advice: Destinations | null = null;
  let requestNo = 0;
  let busy = false;
  let drawnKey = "";

  const patientUnits = (): Unit[] => {
    if (incidentId === null) return [];
    const incident = store.incidents.get(incidentId);
    if (!incident) return [];
    return store
      .currentUnits(incident)
      .map((id) => store.units.get(id))
      .filter((u): u is Unit => u !== undefined && WITH_PATIENT.has(u.status));
  };

  const reasonText = (o: DestinationOption) => {
    const r = o.reason ?? o.skipped;
    return r ? (lang === "zh" ? r.zh : r.en) : "";
  };

  const optionRow = (u: Unit, o: DestinationOption, current: number | null): HTMLElement => {
    const hosp = board.byId.get(o.hospital.id) ?? o.hospital;
    const eta = o.eta_s === null ? "—" : fill(S.hospitalLoop.eta, { min: Math.max(1, Math.round(o.eta_s / 60)) });
    const ranked = o.rank !== null;
    const set = ranked
      ? h(
          "button",
          {
            type: "button",
            class: "btn small primary",
            "data-testid": `dest-set-${u.id}-${hosp.id}`,
            title: fill(S.hospitalLoop.setDestinationTitle, { unit: u.call_sign, hospital: hosp.name }),
          },
          S.hospitalLoop.setDestination,
        )
      : h("span", { class: "badge" }, S.hospitalLoop.skipped);
    if (set instanceof HTMLButtonElement) {
      set.disabled = busy || current === hosp.id;
      set.addEventListener("click", () => choose(u, hosp.id, hosp.name));
    }
    return h(
      "div",
      {
        class: `dest-option${ranked ? "" : " skipped"}${current === hosp.id ? " current" : ""}`,
        "data-testid": `dest-option-${u.id}-${hosp.id}`,
        "data-rank": o.rank ?? "",
      },
      h("span", {}, ranked ? `${o.rank}. ${hosp.name}` : hosp.name, " ", h("span", { class: `badge ed-badge ed-${hosp.ed_status}` }, edStatusLabel(hosp.ed_status))),
      h("span", { class: "mono" }, eta),
      set,
      h("span", { class: "why" }, reasonText(o)),
    );
  };

  const unitBlock = (u: Unit): HTMLElement => {
    const current = destinationOf(u);
    const name = current === null ? null : (board.byId.get(current)?.name ?? `#${current}`);
    const ack = acks.get(u.id);
    const acked = ack !== undefined && ack.hospitalId === current;
    const options = advice?.options ?? [];
    return h(
      "div",
      { class: "dest-unit", "data-testid": `dest-unit-${u.id}` },
      h(
        "div",
        { class: "dest-head" },
        h("span", {}, fill(S.hospitalLoop.destinationFor, { unit: u.call_sign, status: statusLabel(u.status) })),
        h(
          "span",
          { class: "dest-current", "data-testid": `dest-current-${u.id}`, "data-hospital-id": current ?? "" },
          name === null ? S.hospitalLoop.noDestination : fill(S.hospitalLoop.going, { hospital: name }),
        ),
      ),
      current === null
        ? null
        : h(
            "div",
            { class: `dest-ack ${acked ? "acked" : "waiting"}`, "data-testid": `dest-ack-${u.id}`, "data-acked": String(acked) },
            acked ? fill(S.hospitalLoop.edAcknowledged, { time: clock(ack.at) }) : S.hospitalLoop.edNotAcknowledged,
          ),
      advice
        ? h(
            "div",
            { class: "dest-needs" },
            fill(S.hospitalLoop.needs, { need: advice.needs ? capabilityLabel(advice.needs) : S.hospitalLoop.anyEd }),
          )
        : h("div", { class: "dest-needs" }, S.hospitalLoop.loading),
      ...options.map((o) => optionRow(u, o, current)),
    );
  };

  const render = () => {
    const units = patientUnits();
    root.hidden = units.length === 0;
    list.replaceChildren(...units.map(unitBlock));
    drawnKey = key();
  };

  /** What the panel depends on, to redraw only when it changed (the store notifies often). */
  const key = () =>
    patientUnits()
      .map((u) => `${u.id}:${u.status}:${destinationOf(u)}:${acks.get(u.id)?.at ?? ""}`)
      .join(",");

  const load = () => {
    const id = incidentId;
    const mine = ++requestNo;
    advice = null;
    render();
    if (id === null || patientUnits().length === 0) return;
    Promise.all([destinations(id), timeline(id).catch(() => null)])
      .then(([found, log]) => {
        if (mine !== requestNo) return;
        advice = found;
        for (const e of log?.events ?? []) applyLogged(e.name, e.unit_id, e["hospital"], e.occurred_at);
        render();
      })
      .catch((e: unknown) => {
        if (mine === requestNo) showError(e);
      });
  };

  /** One logged event about a unit's destination or its acknowledgement, in log order. */
  const applyLogged = (name: string, unitId: unknown, hospital: unknown, at: string) => {
    if (typeof unitId !== "number") return;
    if (name === "DestinationChosen") acks.delete(unitId); // a new choice asks the ED again
    if (name === "PatientAcknowledged" && typeof hospital === "number" && !acks.has(unitId)) {
      acks.set(unitId, { hospitalId: hospital, at });
    }
  };

  const choose = (u: Unit, hospitalId: number, hospitalName: string) => {
    if (busy) return;
    busy = true;
    render();
    chooseDestination(u.id, hospitalId)
      .then((unit) => {
        store.upsertUnit(unit);
        store.flush();
        showMessage(fill(S.hospitalLoop.destinationSet, { unit: u.call_sign, hospital: hospitalName }), "info");
      })
      .catch((e: unknown) => showError(e))
      .finally(() => {
        busy = false;
        render();
      });
  };

  /** Key H: the first ranked hospital for the first unit without a destination (else the first). */
  const chooseTop = (): boolean => {
    const units = patientUnits();
    const top = advice?.options.find((o) => o.rank !== null);
    if (!top || units.length === 0) return false;
    const u = units.find((x) => destinationOf(x) === null) ?? units[0];
    if (!u || destinationOf(u) === top.hospital.id) return false;
    choose(u, top.hospital.id, board.byId.get(top.hospital.id)?.name ?? top.hospital.name);
    return true;
  };

  store.subscribe((changes) => {
    if (changes.has("selection") && store.selectedIncidentId !== incidentId) {
      incidentId = store.selectedIncidentId;
      load();
      return;
    }
    if (!changes.has("units") && !changes.has("incidents")) return;
    if (advice === null && patientUnits().length > 0) load();
    else if (key() !== drawnKey) render();
  });
  board.onChange(() => {
    if (!root.hidden) render();
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "h" && ev.key !== "H") return;
    if (!enabled() || root.hidden || ev.defaultPrevented || ev.isComposing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const el = document.activeElement;
    const typing =
      el instanceof HTMLTextAreaElement ||
      el instanceof HTMLSelectElement ||
      (el instanceof HTMLInputElement && !["button", "checkbox", "radio", "submit"].includes(el.type)) ||
      (el instanceof HTMLElement && el.isContentEditable);
    if (typing) return;
    if (chooseTop()) ev.preventDefault();
  });

  let refreshTimer: number | undefined;
  const refreshSoon = () => {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(() => {
      if (!root.hidden) load();
    }, 1000);
  };

  return {
    event(msg: EventMsg) {
      const unitId = msg.data.unit?.id;
      if (msg.name === "DestinationChosen" || msg.name === "PatientAcknowledged") {
        applyLogged(msg.name, unitId, msg.data["hospital"], msg.occurred_at);
        if (!root.hidden) render();
      }
      // A diversion or a closure reorders the advice; a triage may change the capability needed.
      if (msg.name === "HospitalStatusChanged" || (msg.name === "IncidentTriaged" && msg.data.incident?.id === incidentId)) refreshSoon();
    },
    reload() {
      if (incidentId !== null) load();
    },
  };
}
