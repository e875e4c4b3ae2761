// Unit status board: call sign, capability, status (label, coloured; raw value for automation), time in status, incident.
import { h, setText } from "../dom";
import { since } from "../format";
import { S, statusLabel, t } from "../i18n";
import { STATUS_COLORS } from "../colors";
import { store } from "../state";
import type { Unit } from "../types";

interface Row {
  tr: HTMLTableRowElement;
  sign: HTMLElement;
  cap: HTMLElement;
  status: HTMLElement;
  statusRaw: HTMLElement;
  statusText: HTMLElement;
  time: HTMLElement;
  incident: HTMLElement;
  statusAt: string | null;
}

const collator = new Intl.Collator(undefined, { numeric: true });

export function mountUnits(root: HTMLElement, onSelect: (id: number) => void): { tick(): void } {
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
  root.append(h("h2", {}, S.units, " ", count), h("div", { class: "scroll" }, table, empty));
  const rows = new Map<number, Row>();

  const makeRow = (u: Unit): Row => {
    const cells = {
      sign: h("td", { class: "strong" }),
      cap: h("td", { class: "mono" }),
      status: h("span", { class: "status" }),
      statusRaw: h("span", { class: "raw", "data-testid": `unit-status-${u.id}` }),
      statusText: h("span", {}),
      time: h("td", { class: "num mono" }),
      incident: h("td", { class: "mono sub" }),
    };
    const tr = h(
      "tr",
      { "data-testid": `unit-row-${u.id}`, "data-unit-id": u.id },
      cells.sign,
      cells.cap,
      h("td", {}, cells.status),
      cells.time,
      cells.incident,
    );
    cells.status.append(cells.statusRaw, cells.statusText);
    tr.addEventListener("click", () => onSelect(u.id));
    return { tr, ...cells, statusAt: u.status_at };
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
  };

  const render = () => {
    const list = [...store.units.values()].sort((a, b) => collator.compare(a.call_sign, b.call_sign));
    const keep = new Set(list.map((u) => u.id));
    for (const [id, r] of rows) {
      if (!keep.has(id)) {
        r.tr.remove();
        rows.delete(id);
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

  const tick = () => {
    const now = Date.now();
    for (const r of rows.values()) setText(r.time, since(r.statusAt, now));
  };

  store.subscribe((changes) => {
    if (changes.has("units") || changes.has("incidents")) render();
  });
  render();
  return { tick };
}
