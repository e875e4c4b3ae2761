// The MCI panel (issue 17, data-testid="mci-panel"), shown under the recommendations while an
// incident is selected: "Declare MCI" (with the estimated patient count) until one is declared,
// then the board: level, counts by triage category on scene / en route / arrived, units
// committed and transporting, the command roles; the patients with quick add (tag + category) and
// re-triage; and the distribution plan (advice) with a Confirm button per suggested transport.
// Read again on the Mci* / SurgeCapacityDeclared events of /ws/console and after each action.
import "./mci.css";

import { ApiError } from "../../shared/api";
import { h, setText } from "../../shared/dom";
import { duration } from "../../shared/format";
import { fill } from "../../shared/hospitals";
import { lang, S } from "../../shared/i18n";
import { showError, showMessage } from "../../shared/panels/message";
import type { EventMsg } from "../../shared/types";
import { store } from "../state";
import {
  addPatient,
  bindRole,
  CATEGORIES,
  categoryLabel,
  confirmTransport,
  declareMci,
  isMciEvent,
  mciBoard,
  mciPlan,
  patientStatusLabel,
  retriage,
  roleLabel,
  ROLES,
  type CommandRole,
  type MciBoard,
  type MciPlan,
  type PlannedTransport,
  type TriageCategory,
} from "./mci-api";

export interface MciPanel {
  /** A console event: MCI events (and unit moves of the incident) read the board again. */
  event(msg: EventMsg): void;
  /** After a snapshot: read the shown incident's board again. */
  reload(): void;
}

/** Unit events that move patients (transporting, at hospital) or change the plan's units. */
const UNIT_EVENTS: ReadonlySet<string> = new Set(["UnitStatusChanged", "UnitAssigned", "HospitalStatusChanged"]);

export function mountMci(root: HTMLElement): MciPanel {
  const title = h("h2", {}, S.mci.panel);
  const level = h("span", { class: "badge mci-level", "data-testid": "mci-level", hidden: true });
  // Not declared yet: the estimated count and the button.
  const estimate = h("input", {
    type: "number",
    min: 1,
    max: 100000,
    value: 10,
    class: "mci-estimate",
    "data-testid": "mci-patients-estimate",
    "aria-label": S.mci.patientsEstimate,
    title: S.mci.patientsEstimate,
  });
  const declareBtn = h("button", { type: "button", class: "btn small danger-outline", "data-testid": "mci-declare" }, S.mci.declare);
  const declareRow = h("div", { class: "row mci-declare-row" }, h("span", { class: "sub" }, S.mci.patientsEstimate), estimate, h("span", { class: "spacer" }), declareBtn);

  // Declared: the board.
  const counts = h("tbody");
  const table = h(
    "table",
    { class: "mci-table", "data-testid": "mci-board" },
    h("thead", {}, h("tr", {}, h("th", {}, S.mci.colCategory), h("th", {}, S.mci.onScene), h("th", {}, S.mci.enRoute), h("th", {}, S.mci.arrived), h("th", {}, S.mci.total))),
    counts,
  );
  const units = h("div", { class: "sub", "data-testid": "mci-units-committed" });
  const roles = h("div", { class: "mci-roles", "data-testid": "mci-roles" });
  const patientList = h("div", { class: "mci-patients", "data-testid": "mci-patients" });
  const addTag = h("input", { class: "mci-tag", "data-testid": "mci-add-tag", placeholder: S.mci.tag, "aria-label": S.mci.tag, maxlength: 32, autocomplete: "off" });
  const addCategory = categorySelect("mci-add-category");
  const addBtn = h("button", { type: "submit", class: "btn small", "data-testid": "mci-add" }, S.mci.add);
  const addForm = h("form", { class: "row mci-add" }, addTag, addCategory, addBtn);
  const planList = h("div", { class: "mci-plan", "data-testid": "mci-plan" });
  const board = h(
    "div",
    { class: "mci-body", hidden: true },
    table,
    units,
    roles,
    h("div", { class: "label" }, S.mci.patients),
    patientList,
    addForm,
    h("div", { class: "label" }, S.mci.plan),
    planList,
  );
  root.append(h("div", { class: "panel-title" }, title, h("span", { class: "spacer" }), level), h("div", { class: "scroll" }, declareRow, board));
  root.hidden = true;

  let shownId: number | null = null;
  let declared = false;
  let loadNo = 0;
  let timer: number | undefined;
  let lastPlan: MciPlan | null = null;

  const renderBoard = (b: MciBoard) => {
    setText(level, fill(S.mci.level, { level: b.level }));
    level.hidden = false;
    level.dataset["level"] = String(b.level);
    const byCat = new Map(b.rows.map((r) => [r.category, r]));
    counts.replaceChildren(
      ...CATEGORIES.map((c) => {
        const r = byCat.get(c);
        // Assigned to a unit but not yet left: still on scene.
        const cells: [string, number][] = [
          ["on_scene", (r?.on_scene ?? 0) + (r?.assigned ?? 0)],
          ["en_route", r?.en_route ?? 0],
          ["arrived", r?.arrived ?? 0],
          ["total", r?.total ?? 0],
        ];
        return h(
          "tr",
          { class: `tri-${c}` },
          h("td", {}, h("span", { class: `tri-dot tri-${c}` }), categoryLabel(c)),
          ...cells.map(([k, n]) => h("td", { class: "mono", "data-testid": `mci-count-${c}-${k}` }, String(n))),
        );
      }),
    );
    setText(units, `${fill(S.mci.unitsCommitted, { n: b.units_committed })} · ${fill(S.mci.unitsTransporting, { n: b.units_transporting })}`);
    units.dataset["committed"] = String(b.units_committed);
    // Each role: the unit holding it, chosen among the units working the call (a transfer if held).
    const inc = store.incidents.get(b.incident_id);
    const onCall = inc ? store.currentUnits(inc) : [];
    roles.replaceChildren(
      h("span", { class: "label" }, S.mci.roles),
      ...ROLES.map((r) => {
        const uid = b.roles[r] ?? null;
        const sel = h("select", { class: "mci-role-select", "data-testid": `mci-role-select-${r}`, "aria-label": roleLabel(r) });
        if (uid === null) sel.append(h("option", { value: "" }, S.mci.noRole));
        for (const id of new Set([...(uid !== null ? [uid] : []), ...onCall])) {
          sel.append(h("option", { value: String(id) }, store.units.get(id)?.call_sign ?? `#${id}`));
        }
        sel.value = uid === null ? "" : String(uid);
        sel.addEventListener("change", () => {
          if (sel.value) void doBindRole(r, Number(sel.value), sel);
        });
        return h("label", { class: "mci-role", "data-testid": `mci-role-${r}`, "data-unit-id": uid ?? "" }, `${roleLabel(r)} `, sel);
      }),
    );
    const sorted = [...b.patients].sort((x, y) => CATEGORIES.indexOf(x.category) - CATEGORIES.indexOf(y.category) || x.tag.localeCompare(y.tag, undefined, { numeric: true }));
    patientList.replaceChildren(
      ...(sorted.length === 0
        ? [h("div", { class: "sub" }, S.mci.noPatients)]
        : sorted.map((p) => {
            const sel = categorySelect(`mci-retriage-${p.tag}`, p.category);
            sel.title = S.mci.retriage;
            sel.setAttribute("aria-label", `${S.mci.retriage} ${p.tag}`);
            sel.disabled = p.status === "arrived" || p.status === "released";
            sel.addEventListener("change", () => void doRetriage(p.tag, sel.value as TriageCategory, p.category, sel));
            const unit = p.unit_id !== null ? (store.units.get(p.unit_id)?.call_sign ?? `#${p.unit_id}`) : "";
            return h(
              "div",
              { class: `row mci-patient tri-${p.category}`, "data-testid": `mci-patient-${p.tag}`, "data-category": p.category, "data-status": p.status },
              h("span", { class: `tri-dot tri-${p.category}` }),
              h("span", { class: "mono strong" }, p.tag),
              h("span", { class: "sub" }, patientStatusLabel(p.status)),
              unit ? h("span", { class: "sub" }, unit) : null,
              p.note ? h("span", { class: "sub mci-note", title: p.note }, p.note) : null,
              h("span", { class: "spacer" }),
              sel,
            );
          })),
    );
  };

  const renderPlan = (plan: MciPlan | null) => {
    lastPlan = plan;
    const transports = plan?.transports ?? [];
    if (transports.length === 0) {
      planList.replaceChildren(h("div", { class: "sub", "data-testid": "mci-plan-empty" }, S.mci.noPlan));
      return;
    }
    const names = new Map((plan?.hospitals ?? []).map((x) => [x.hospital_id, x.name]));
    planList.replaceChildren(
      ...transports.map((tr, i) => {
        const sign = store.units.get(tr.unit_id)?.call_sign ?? `#${tr.unit_id}`;
        const hospital = names.get(tr.hospital_id) ?? `#${tr.hospital_id}`;
        const who = tr.patients.map((tag, k) => {
          const c = tr.categories[k] ?? "minor";
          return h("span", { class: `mci-chip tri-${c}`, title: categoryLabel(c) }, tag);
        });
        const eta = tr.arrive_s === null ? S.mci.noRoad : fill(S.mci.arrivesIn, { eta: duration(tr.arrive_s) });
        const btn = h(
          "button",
          { type: "button", class: "btn small primary", "data-testid": `mci-confirm-${i}`, disabled: tr.confirmed },
          tr.confirmed ? S.mci.confirmed : S.mci.confirm,
        );
        if (!tr.confirmed) btn.addEventListener("click", () => void doConfirm(tr, sign, hospital, btn));
        return h(
          "div",
          {
            class: `mci-transport${tr.confirmed ? " confirmed" : ""}`,
            "data-testid": `mci-transport-${i}`,
            "data-unit-id": tr.unit_id,
            "data-hospital-id": tr.hospital_id,
            "data-categories": tr.categories.join(","),
            "data-confirmed": String(tr.confirmed),
            title: tr.reason?.[lang] ?? "",
          },
          h("div", { class: "row" }, h("strong", {}, sign), h("span", {}, "→"), h("span", { class: "mci-hospital" }, hospital), h("span", { class: "spacer" }), h("span", { class: "mono sub" }, eta), btn),
          h("div", { class: "row mci-chips" }, ...who),
        );
      }),
    );
  };

  const load = (id: number) => {
    const mine = ++loadNo;
    mciBoard(id)
      .then((b) => {
        if (mine !== loadNo || shownId !== id) return;
        declared = true;
        declareRow.hidden = true;
        board.hidden = false;
        renderBoard(b);
        return mciPlan(id).then(
          (p) => {
            if (mine === loadNo && shownId === id) renderPlan(p);
          },
          (e: unknown) => {
            if (mine === loadNo && shownId === id) {
              renderPlan(null);
              showError(e);
            }
          },
        );
      })
      .catch((e: unknown) => {
        if (mine !== loadNo || shownId !== id) return;
        if (e instanceof ApiError && e.status === 404) {
          declared = false;
          declareRow.hidden = false;
          board.hidden = true;
          level.hidden = true;
          return;
        }
        showError(e);
      });
  };

  const schedule = (ms = 250) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      if (shownId !== null) load(shownId);
    }, ms);
  };

  const render = () => {
    const id = store.selectedIncidentId;
    const inc = id !== null ? store.incidents.get(id) : undefined;
    if (!inc) {
      root.hidden = true;
      shownId = null;
      declared = false;
      return;
    }
    root.hidden = false;
    if (shownId === inc.id) return;
    shownId = inc.id;
    declared = false;
    lastPlan = null;
    declareRow.hidden = true;
    board.hidden = true;
    level.hidden = true;
    load(inc.id);
  };

  const doRetriage = async (tag: string, to: TriageCategory, from: TriageCategory, sel: HTMLSelectElement) => {
    const id = shownId;
    if (id === null || to === from) return;
    sel.disabled = true;
    try {
      await retriage(id, tag, to);
    } catch (e) {
      sel.value = from;
      showError(e);
    } finally {
      sel.disabled = false;
      schedule(0);
    }
  };

  const doBindRole = async (role: CommandRole, unitId: number, sel: HTMLSelectElement) => {
    const id = shownId;
    if (id === null) return;
    sel.disabled = true;
    try {
      renderBoard(await bindRole(id, role, unitId));
    } catch (e) {
      showError(e);
      schedule(0);
    } finally {
      sel.disabled = false;
    }
  };

  const doConfirm = async (tr: PlannedTransport, sign: string, hospital: string, btn: HTMLButtonElement) => {
    const id = shownId;
    if (id === null) return;
    btn.disabled = true;
    try {
      await confirmTransport(id, tr);
      showMessage(fill(S.mci.transportConfirmed, { unit: sign, hospital }), "info");
    } catch (e) {
      btn.disabled = false;
      showError(e);
    }
    schedule(0);
  };

  declareBtn.addEventListener("click", () => {
    const id = shownId;
    const inc = id !== null ? store.incidents.get(id) : undefined;
    if (id === null || !inc) return;
    const n = Math.max(1, Math.round(Number(estimate.value) || 1));
    declareBtn.disabled = true;
    declareMci(id, n)
      .then((b) => {
        showMessage(fill(S.mci.declared, { number: inc.number }), "info");
        if (shownId !== id) return;
        declared = true;
        declareRow.hidden = true;
        board.hidden = false;
        renderBoard(b);
        schedule(0);
      })
      .catch((e: unknown) => {
        showError(e);
        schedule(0); // declared meanwhile by another console (409): show its board
      })
      .finally(() => (declareBtn.disabled = false));
  });

  addForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = shownId;
    const tag = addTag.value.trim();
    if (id === null || !tag) return;
    addBtn.disabled = true;
    addPatient(id, tag, addCategory.value as TriageCategory)
      .then((p) => {
        showMessage(fill(S.mci.patientAdded, { tag: p.tag }), "info");
        if (shownId === id) addTag.value = "";
      })
      .catch(showError)
      .finally(() => {
        addBtn.disabled = false;
        schedule(0);
      });
  });

  store.subscribe((changes) => {
    if (changes.has("selection") || changes.has("incidents")) render();
  });
  render();

  return {
    event(msg) {
      if (shownId === null) return;
      const incId = msg.data["incident_id"] ?? msg.data.incident?.id;
      if (isMciEvent(msg.name)) {
        if (msg.name === "SurgeCapacityDeclared" || typeof incId !== "number" || incId === shownId) schedule();
        return;
      }
      // Units moving patients (transporting, at hospital) and EDs changing status: only once declared.
      if (declared && UNIT_EVENTS.has(msg.name) && (lastPlan !== null || incId === shownId)) schedule(500);
    },
    reload() {
      if (shownId !== null) load(shownId);
    },
  };
}

function categorySelect(testid: string, value: TriageCategory = "immediate"): HTMLSelectElement {
  const sel = h("select", { "data-testid": testid, class: "mci-cat" });
  for (const c of CATEGORIES) sel.append(h("option", { value: c }, categoryLabel(c)));
  sel.value = value;
  return sel;
}
