// Incident detail (data-testid="incident-detail"), under the selected incident's summary:
// the "unverified address" badge, the units on the call with Divert / Reassign, Cancel with a
// reason, and the notes (NoteAdded events of the timeline, live via the socket) with a note field.
import * as api from "../../shared/api";
import { h } from "../../shared/dom";
import { clock } from "../../shared/format";
import { S, statusLabel, t } from "../../shared/i18n";
import { store } from "../state";
import type { Assignment, EventMsg, Incident, Unit } from "../../shared/types";
import { ask } from "./dialog";
import { showError, showMessage } from "../../shared/panels/message";

/** A unit still on its way can be diverted or replaced. */
const ON_ITS_WAY: ReadonlySet<string> = new Set(["dispatched", "en_route"]);

export interface IncidentDetail {
  root: HTMLElement;
  /** A live event: NoteAdded for the shown incident appends the note. */
  event(msg: EventMsg): void;
}

export interface DetailCallbacks {
  assigned(a: Assignment): void;
  reloadRecs(): void;
}

interface Note {
  seq: number;
  at: string;
  author: string;
  text: string;
}

export function mountIncidentDetail(cb: DetailCallbacks): IncidentDetail {
  const unverified = h(
    "span",
    { class: "badge warn", "data-testid": "address-unverified", title: S.unverifiedTitle, hidden: true },
    S.unverifiedAddress,
  );
  const cancelBtn = h("button", { type: "button", class: "btn small danger-outline", "data-testid": "cancel-incident" }, S.cancelIncident);
  const unitList = h("div", { class: "detail-units", "data-testid": "incident-units" });
  const notesList = h("ol", { class: "notes", "data-testid": "notes" });
  const noNotes = h("div", { class: "sub" }, S.noNotes);
  const noteInput = h("input", {
    "data-testid": "note-input",
    placeholder: S.notePlaceholder,
    autocomplete: "off",
    maxlength: 4000,
    "aria-label": S.notes,
  });
  const noteAdd = h("button", { type: "submit", class: "btn small", "data-testid": "note-add" }, S.addNote);
  const noteForm = h("form", { class: "row note-form" }, noteInput, noteAdd);
  const root = h(
    "div",
    { class: "incident-detail", "data-testid": "incident-detail", hidden: true },
    h("div", { class: "row detail-bar" }, unverified, h("span", { class: "spacer" }), cancelBtn),
    unitList,
    h("div", { class: "detail-notes" }, h("div", { class: "label" }, S.notes), notesList, noNotes, noteForm),
  );

  let shownId: number | null = null;
  let notes: Note[] = [];
  let unitsKey = "";
  let loadNo = 0;

  const renderNotes = () => {
    notes.sort((a, b) => a.seq - b.seq);
    notesList.replaceChildren(
      ...notes.map((n) =>
        h(
          "li",
          { "data-testid": `note-${n.seq}` },
          h("span", { class: "mono sub" }, clock(n.at)),
          " ",
          h("span", { class: "strong" }, n.author),
          " ",
          h("span", { class: "note-text" }, n.text),
        ),
      ),
    );
    noNotes.hidden = notes.length > 0;
  };

  const loadNotes = (id: number) => {
    const mine = ++loadNo;
    api
      .timeline(id)
      .then((tl) => {
        if (mine !== loadNo || shownId !== id) return;
        const fromLog: Note[] = tl.events
          .filter((e) => e.name === "NoteAdded")
          .map((e) => ({ seq: e.seq, at: e.occurred_at, author: String(e.author ?? e.actor ?? ""), text: String(e.text ?? "") }));
        const seen = new Set(fromLog.map((n) => n.seq));
        notes = [...fromLog, ...notes.filter((n) => !seen.has(n.seq))];
        renderNotes();
      })
      .catch((e: unknown) => {
        if (mine === loadNo) showError(e);
      });
  };

  const unitRow = (inc: Incident, uid: number): HTMLElement => {
    const u = store.units.get(uid);
    const sign = u?.call_sign ?? `#${uid}`;
    const current = u?.incident_id === inc.id;
    const row = h(
      "div",
      { class: `row detail-unit${current ? "" : " former"}`, "data-unit-id": uid, "data-current": String(current), title: current ? "" : S.unitLeft },
      h("span", { class: "strong" }, sign),
      h("span", { class: "mono sub" }, u?.capability ?? ""),
      h("span", { class: "sub" }, current && u ? statusLabel(u.status) : S.unitLeft),
      h("span", { class: "spacer" }),
    );
    if (u && u.incident_id === inc.id && ON_ITS_WAY.has(u.status)) {
      const divertBtn = h("button", { type: "button", class: "btn small", "data-testid": `divert-${uid}`, title: t("divertTitle", { unit: sign }) }, S.divert);
      const reassignBtn = h("button", { type: "button", class: "btn small", "data-testid": `reassign-${uid}`, title: t("reassignTitle", { unit: sign, number: inc.number }) }, S.reassign);
      divertBtn.addEventListener("click", () => void doDivert(inc, u));
      reassignBtn.addEventListener("click", () => void doReassign(inc, u));
      row.append(divertBtn, reassignBtn);
    }
    return row;
  };

  const render = () => {
    const id = store.selectedIncidentId;
    const inc = id !== null ? store.incidents.get(id) : undefined;
    if (!inc) {
      root.hidden = true;
      shownId = null;
      notes = [];
      unitsKey = "";
      return;
    }
    root.hidden = false;
    if (shownId !== inc.id) {
      shownId = inc.id;
      notes = [];
      renderNotes();
      noteInput.value = "";
      loadNotes(inc.id);
    }
    unverified.hidden = inc.address_verified !== false;
    const key = JSON.stringify([inc.id, inc.unit_ids.map((u) => { const x = store.units.get(u); return [u, x?.status, x?.incident_id]; })]);
    if (key !== unitsKey) {
      unitsKey = key;
      // Units working the call first; units that left it (diverted, replaced) greyed below.
      const now = store.currentUnits(inc);
      const former = inc.unit_ids.filter((u) => !now.includes(u));
      unitList.replaceChildren(...[...now, ...former].map((uid) => unitRow(inc, uid)));
    }
  };

  const doCancel = async () => {
    const inc = shownId !== null ? store.incidents.get(shownId) : undefined;
    if (!inc) return;
    const a = await ask({ title: t("cancelTitle", { number: inc.number }), confirm: S.cancelIncident, danger: true });
    if (!a) return;
    try {
      const updated = await api.cancelIncident(inc.id, a.reason);
      store.upsertIncident(updated);
      store.flush();
      showMessage(t("incidentCancelled", { number: inc.number }), "info");
    } catch (e) {
      showError(e);
    }
  };

  const doDivert = async (inc: Incident, u: Unit) => {
    // A unit may only be pulled onto a call of higher priority (a smaller number).
    const targets = [...store.incidents.values()]
      .filter((i) => i.id !== inc.id && i.priority < inc.priority)
      .sort((a, b) => a.priority - b.priority || Date.parse(a.received_at) - Date.parse(b.received_at));
    const a = await ask({
      title: t("divertTitle", { unit: u.call_sign }),
      choices: targets.map((i) => ({
        value: String(i.id),
        label: `${t("priorityLabel", { priority: i.priority })} ${i.number} · ${i.address || S.unknownAddress}${i.complaint ? ` · ${i.complaint}` : ""}`,
      })),
      choiceLabel: S.divertTarget,
      noChoices: S.noHigherPriority,
      confirm: S.divert,
    });
    if (!a || a.choice === null) return;
    try {
      const done = await api.divert(u.id, Number(a.choice), a.reason);
      cb.assigned(done);
      showMessage(t("unitDiverted", { unit: u.call_sign, number: done.incident.number }), "info");
      cb.reloadRecs();
    } catch (e) {
      showError(e);
    }
  };

  const doReassign = async (inc: Incident, u: Unit) => {
    let candidates: { value: string; label: string }[] = [];
    try {
      const recs = await api.recommendations(inc.id, 10);
      candidates = recs
        .filter((r) => r.unit.id !== u.id)
        .map((r) => ({ value: String(r.unit.id), label: `${r.unit.call_sign} · ${r.unit.capability} · ${S.colEta} ${Math.round(r.eta_s / 60)} min` }));
    } catch (e) {
      showError(e);
      return;
    }
    const a = await ask({
      title: t("reassignTitle", { unit: u.call_sign, number: inc.number }),
      choices: candidates,
      choiceLabel: S.reassignTarget,
      noChoices: S.noReplacement,
      confirm: S.reassign,
    });
    if (!a || a.choice === null) return;
    try {
      const done = await api.reassign(inc.id, u.id, Number(a.choice), a.reason);
      cb.assigned(done);
      showMessage(t("unitReassigned", { unit: done.unit.call_sign, old: u.call_sign, number: inc.number }), "info");
      cb.reloadRecs();
    } catch (e) {
      showError(e);
    }
  };

  cancelBtn.addEventListener("click", () => void doCancel());
  noteForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = shownId;
    const text = noteInput.value.trim();
    if (id === null || !text) return;
    noteAdd.disabled = true;
    api
      .addNote(id, text)
      .then(() => {
        if (shownId === id) {
          noteInput.value = "";
          loadNotes(id); // the NoteAdded event usually arrives first; the log is the truth
        }
      })
      .catch(showError)
      .finally(() => (noteAdd.disabled = false));
  });

  store.subscribe((changes) => {
    if (changes.has("selection") || changes.has("incidents") || changes.has("units")) render();
  });
  render();

  return {
    root,
    event(msg) {
      if (msg.name !== "NoteAdded" || shownId === null) return;
      const inc = msg.data.incident;
      const incId = inc?.id ?? (typeof msg.data["incident_id"] === "number" ? msg.data["incident_id"] : null);
      if (incId !== shownId || notes.some((n) => n.seq === msg.seq)) return;
      notes.push({ seq: msg.seq, at: msg.occurred_at, author: String(msg.data["author"] ?? msg.actor ?? ""), text: String(msg.data["text"] ?? "") });
      renderNotes();
    },
  };
}
