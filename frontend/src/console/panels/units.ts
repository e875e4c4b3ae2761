// Unit status board: call sign, capability, status (label, coloured; raw value for automation), time in status, incident.
import { h, setText } from "../../shared/dom";
import { since } from "../../shared/format";
import { S, statusLabel, t } from "../../shared/i18n";
import { STATUS_COLORS } from "../../shared/colors";
import { store } from "../state";
import type { Unit } from "../../shared/types";
import { VisibleRows } from "../visible";

interface Row {
  tr: HTMLTableRowElement;
  sign: HTMLElement;
  cap: HTMLElement;
  status: HTMLElement;
  statusRaw: HTMLElement;
  statusText: HTMLElement;
  time: HTMLElement;
  incident: HTMLElement;
  stale: HTMLElement;
  unacked: HTMLElement;
  unit: Unit;
  statusAt: string | null;
}

export interface UnitBoard {
  tick(): void;
  /** Units whose order became "not acknowledged" since the last call (for the alert tone). */
  takeNewUnacked(): Unit[];
}

const collator = new Intl.Collator(undefined, { numeric: true });
/** Statuses in which a unit drives and must report positions: a stale one there matters most. */
const BUSY_MOVING: ReadonlySet<string> = new Set(["dispatched", "en_route", "transporting"]);

export function mountUnits(root: HTMLElement, onSelect: (id: number) => void): UnitBoard {
  const count = h("span", { class: "count" });
  const tbody = h("tbody");
  const empty = h("div", { class: "empty" }, S.noUnits);
  const table = h(
    "table",
    { class: "grid", "data-testid": "unit-board" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, S.colUnit),
        h("th", {}, S.colCap),
        h("th", {}, S.colStatus),
        h("th", { class: "num" }, S.colTime),
        h("th", {}, S.colIncident),
      ),
    ),
    tbody,
  );
  const scroller = h("div", { class: "scroll" }, table, empty);
  root.append(h("h2", {}, S.units, " ", count), scroller);
  const rows = new Map<number, Row>();
  const byTr = new Map<Element, Row>();
  const seen = new VisibleRows<HTMLTableRowElement>(scroller, (tr) => {
    const r = byTr.get(tr);
    if (r) setText(r.time, since(r.statusAt, store.serverNow()));
  });

  const makeRow = (u: Unit): Row => {
    const cells = {
      sign: h("td", { class: "strong" }),
      cap: h("td", { class: "mono" }),
      status: h("span", { class: "status" }),
      statusRaw: h("span", { class: "raw", "data-testid": `unit-status-${u.id}` }),
      statusText: h("span", {}),
      time: h("td", { class: "num mono" }),
      incident: h("td", { class: "mono sub" }),
      stale: h("span", { class: "flag stale", "data-testid": `unit-stale-${u.id}`, hidden: true, title: S.staleTitle }, S.staleLabel),
      unacked: h("span", { class: "flag unacked", "data-testid": `unit-unacked-${u.id}`, hidden: true, title: S.unackedTitle }, S.unackedLabel),
    };
    const tr = h(
      "tr",
      { "data-testid": `unit-row-${u.id}`, "data-unit-id": u.id },
      cells.sign,
      cells.cap,
      h("td", {}, cells.status, cells.unacked, cells.stale),
      cells.time,
      cells.incident,
    );
    cells.status.append(cells.statusRaw, cells.statusText);
    tr.addEventListener("click", () => onSelect(u.id));
    return { tr, ...cells, unit: u, statusAt: u.status_at };
  };

  const fill = (r: Row, u: Unit) => {
    setText(r.sign, u.call_sign);
    setText(r.cap, u.capability);
    // The testid element holds the raw status value (stable for automation); people see the label.
    setText(r.statusRaw, u.status);
    setText(r.statusText, statusLabel(u.status));
    r.status.title = u.status;
    r.status.style.setProperty("--st", STATUS_COLORS[u.status] ?? "#888");
    r.tr.dataset["status"] = u.status;
    const inc = u.incident_id !== null ? store.incidents.get(u.incident_id) : undefined;
    setText(r.incident, u.incident_id === null ? "" : (inc?.number ?? `#${u.incident_id}`));
    r.statusAt = u.status_at;
    r.unit = u;
  };

  const render = () => {
    const list = [...store.units.values()].sort((a, b) => collator.compare(a.call_sign, b.call_sign));
    const keep = new Set(list.map((u) => u.id));
    for (const [id, r] of rows) {
      if (!keep.has(id)) {
        r.tr.remove();
        rows.delete(id);
        byTr.delete(r.tr);
        seen.unobserve(r.tr);
      }
    }
    let prev: HTMLTableRowElement | null = null;
    let available = 0;
    for (const u of list) {
      if (u.status === "available") available += 1;
      let r = rows.get(u.id);
      if (!r) {
        r = makeRow(u);
        rows.set(u.id, r);
        byTr.set(r.tr, r);
        seen.observe(r.tr);
      }
      fill(r, u);
      const want: ChildNode | null = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== r.tr) tbody.insertBefore(r.tr, want);
      prev = r.tr;
    }
    empty.hidden = list.length > 0;
    setText(count, t("unitsAvailable", { available, total: list.length }));
    tick();
  };

  // Orders already flagged (so the tone sounds once per order).
  const flaggedOrders = new Set<number>();
  let newUnacked: Unit[] = [];

  const tick = () => {
    // Time in status and the flags are judged on the server's clock (snapshot / positions server_time).
    const now = store.serverNow();
    for (const r of rows.values()) {
      if (seen.isVisible(r.tr)) setText(r.time, since(r.statusAt, now));
      const u = store.units.get(r.unit.id) ?? r.unit; // positions update units without a re-render
      const stale = store.isStale(u, now);
      const unacked = store.isUnacked(u, now);
      if (r.stale.hidden === stale) {
        r.stale.hidden = !stale;
        r.tr.classList.toggle("stale", stale);
      }
      if (stale) r.stale.classList.toggle("strong-flag", BUSY_MOVING.has(u.status));
      if (r.unacked.hidden === unacked) {
        r.unacked.hidden = !unacked;
        r.tr.classList.toggle("unacked", unacked);
      }
      if (unacked && u.order_id != null && !flaggedOrders.has(u.order_id)) {
        flaggedOrders.add(u.order_id);
        newUnacked.push(u);
      }
    }
  };

  store.subscribe((changes) => {
    if (changes.has("units") || changes.has("incidents") || changes.has("config")) render();
  });
  render();
  return {
    tick,
    takeNewUnacked() {
      const list = newUnacked;
      newUnacked = [];
      return list;
    },
  };
}
