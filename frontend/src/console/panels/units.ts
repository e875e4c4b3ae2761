// Unit status board: call sign, capability, status (label, coloured; raw value for automation), time in status, incident.
// Time-in-status alarms: a unit longer in its status than the configured threshold (GET /config
// status_alarm_s, e.g. on scene > 30 min, at hospital > 20 min: offload delay) is flagged on its
// row and sounds once per crossing (silent when muted); clicking the flag acknowledges it.
import { h, setText } from "../../shared/dom";
import { duration, since } from "../../shared/format";
import { S, statusLabel, t } from "../../shared/i18n";
import { STATUS_COLORS } from "../../shared/colors";
import { beep, TONES } from "../../shared/sound";
import { store } from "../state";
import { flagsText } from "../../shared/timeflags";
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
  alarm: HTMLElement;
  timeFlag: HTMLElement;
  unit: Unit;
  statusAt: string | null;
}

export interface UnitBoard {
  tick(): void;
  /** Units whose order became "not acknowledged" since the last call (for the alert tone). */
  takeNewUnacked(): Unit[];
}

const collator = new Intl.Collator(undefined, { numeric: true });

/** The crossing a unit is in: one per unit, status and time the status began (null: no alarm). */
export function statusAlarm(
  u: Pick<Unit, "id" | "status" | "status_at">,
  thresholds: Record<string, number> | undefined,
  now: number,
): { key: string; limitS: number } | null {
  const limit = thresholds?.[u.status];
  if (limit === undefined || !u.status_at) return null;
  const began = Date.parse(u.status_at);
  if (Number.isNaN(began) || now - began <= limit * 1000) return null;
  return { key: `${u.id}:${u.status}:${u.status_at}`, limitS: limit };
}
/** Statuses in which a unit may take a new call (dispatch/domain/model.py DISPATCHABLE). */
const DISPATCHABLE: ReadonlySet<string> = new Set(["available", "returning"]);
/** Statuses in which a unit drives and must report positions: a stale one there matters most. */
const BUSY_MOVING: ReadonlySet<string> = new Set(["dispatched", "en_route", "transporting", "returning"]);

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
      alarm: h("span", { class: "flag alarm", "data-testid": `unit-alarm-${u.id}`, hidden: true, role: "button", tabindex: 0 }),
      // The crew device's time of the last status was corrected or is suspicious (docs/times.md).
      timeFlag: h("span", { class: "flag time", "data-testid": `unit-time-flag-${u.id}`, hidden: true }, "⏱"),
    };
    const ack = (e: Event) => {
      e.stopPropagation(); // acknowledging is not selecting the unit
      const key = cells.alarm.dataset["key"];
      if (!key) return;
      if (acknowledged.has(key)) return;
      acknowledged.add(key);
      cells.alarm.classList.add("acked");
      cells.alarm.dataset["acked"] = "true";
      cells.alarm.title = `${S.statusAlarmAcked} · ${cells.alarm.title}`;
    };
    cells.alarm.addEventListener("click", ack);
    cells.alarm.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") ack(e);
    });
    const tr = h(
      "tr",
      { "data-testid": `unit-row-${u.id}`, "data-unit-id": u.id },
      cells.sign,
      cells.cap,
      h("td", {}, cells.status, cells.alarm, cells.unacked, cells.stale, cells.timeFlag),
      cells.time,
      cells.incident,
    );
    cells.status.append(cells.statusRaw, cells.statusText);
    tr.addEventListener("click", () => onSelect(u.id));
    return { tr, ...cells, unit: u, statusAt: u.status_at };
  };

  const fill = (r: Row, u: Unit) => {
    setText(r.sign, u.call_sign);
    // "ISO": fitted for isolated transport, the units a suspected infectious call gets
    setText(r.cap, u.isolation ? `${u.capability} · ${S.isolationShort}` : u.capability);
    r.cap.title = u.isolation ? S.isolationTitle : "";
    r.tr.dataset["isolation"] = String(Boolean(u.isolation));
    // The testid element holds the raw status value (stable for automation); people see the label.
    setText(r.statusRaw, u.status);
    setText(r.statusText, statusLabel(u.status));
    r.status.title = u.status;
    r.status.style.setProperty("--st", STATUS_COLORS[u.status] ?? "#888");
    r.tr.dataset["status"] = u.status;
    const inc = u.incident_id !== null ? store.incidents.get(u.incident_id) : undefined;
    setText(r.incident, u.incident_id === null ? "" : (inc?.number ?? `#${u.incident_id}`));
    r.statusAt = u.status_at;
    const flags = u.status_flags ?? [];
    r.timeFlag.hidden = flags.length === 0;
    r.timeFlag.title = flagsText(flags);
    r.timeFlag.dataset["flags"] = flags.join(" ");
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
      if (DISPATCHABLE.has(u.status)) available += 1;
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
  // Time-in-status crossings already sounded, and those a dispatcher acknowledged.
  const sounded = new Set<string>();
  const acknowledged = new Set<string>();

  const tick = () => {
    // Time in status and the flags are judged on the server's clock (snapshot / positions server_time).
    const now = store.serverNow();
    const crossed: Unit[] = [];
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
      const alarm = statusAlarm(u, store.config?.status_alarm_s, now);
      if (!alarm) {
        if (!r.alarm.hidden) {
          r.alarm.hidden = true;
          r.tr.classList.remove("status-alarm");
          delete r.alarm.dataset["key"];
        }
        continue;
      }
      if (r.alarm.dataset["key"] !== alarm.key) {
        const limit = duration(alarm.limitS);
        const isAcked = acknowledged.has(alarm.key);
        r.alarm.dataset["key"] = alarm.key;
        r.alarm.dataset["acked"] = String(isAcked);
        r.alarm.classList.toggle("acked", isAcked);
        setText(r.alarm, t("statusAlarmLabel", { limit }));
        const title = t("statusAlarmTitle", { status: statusLabel(u.status), limit });
        r.alarm.title = isAcked ? `${S.statusAlarmAcked} · ${title}` : title;
        r.alarm.hidden = false;
        r.tr.classList.add("status-alarm");
      }
      if (!sounded.has(alarm.key)) {
        sounded.add(alarm.key);
        crossed.push(u);
      }
    }
    if (crossed.length > 0) {
      // Once per crossing, with the same tone machinery as the other alerts (silent when muted);
      // the board records what happened (for the record and for tests).
      const played = beep(TONES.statusAlarm);
      root.dataset["statusAlarms"] = String(Number(root.dataset["statusAlarms"] ?? "0") + crossed.length);
      root.dataset["statusAlarmSound"] = String(played);
      root.title = t("statusAlarmAlert", { units: crossed.map((u) => u.call_sign).join(", ") });
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
