// Open incident list: priority, status, number, address, time since received, assigned units.
import { h, setText } from "../../shared/dom";
import { clock, since } from "../../shared/format";
import { S, statusLabel, t } from "../../shared/i18n";
import { store } from "../state";
import type { Incident } from "../../shared/types";
import { VisibleRows } from "../visible";

interface Row {
  tr: HTMLTableRowElement;
  prio: HTMLElement;
  number: HTMLElement;
  status: HTMLElement;
  address: HTMLElement;
  elapsed: HTMLElement;
  units: HTMLElement;
  receivedAt: string;
}

export function mountIncidents(root: HTMLElement, onSelect: (id: number) => void): { tick(): void } {
  const count = h("span", { class: "count" });
  const tbody = h("tbody");
  const empty = h("div", { class: "empty" }, S.noIncidents);
  const table = h(
    "table",
    { class: "grid", "data-testid": "incident-list" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { title: S.priority }, S.colPriority),
        h("th", {}, `${S.colNumber} / ${S.colStatus}`),
        h("th", {}, S.colAddress),
        h("th", { class: "num" }, S.colTime),
      ),
    ),
    tbody,
  );
  const scroller = h("div", { class: "scroll" }, table, empty);
  root.append(h("h2", {}, S.incidents, " ", count), scroller);

  const rows = new Map<number, Row>();
  const byTr = new Map<Element, Row>();
  const seen = new VisibleRows<HTMLTableRowElement>(scroller, (tr) => {
    const r = byTr.get(tr);
    if (r) setText(r.elapsed, since(r.receivedAt, store.serverNow()));
  });

  const makeRow = (i: Incident): Row => {
    const cells = {
      prio: h("span", { class: "prio" }),
      number: h("div", { class: "mono nowrap" }),
      status: h("span", { class: "badge" }),
      address: h("div", { class: "addr" }),
      units: h("div", { class: "sub" }),
      elapsed: h("td", { class: "num mono" }),
    };
    const tr = h(
      "tr",
      { "data-testid": `incident-row-${i.id}`, "data-incident-id": i.id, tabindex: 0 },
      h("td", {}, cells.prio),
      h("td", { class: "nowrap" }, cells.number, cells.status),
      h("td", { class: "addr-cell" }, cells.address, cells.units),
      cells.elapsed,
    );
    const select = () => onSelect(i.id);
    tr.addEventListener("click", select);
    tr.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        select();
      }
    });
    return { tr, ...cells, receivedAt: i.received_at };
  };

  const fill = (r: Row, i: Incident) => {
    setText(r.prio, t("priorityLabel", { priority: i.priority }));
    r.prio.className = `prio p${i.priority}`;
    setText(r.number, i.number);
    setText(r.status, statusLabel(i.status));
    r.status.dataset["status"] = i.status;
    r.status.className = `badge st-${i.status}`;
    const addr = i.address || S.unknownAddress;
    setText(r.address, i.complaint ? `${addr} · ${i.complaint}` : addr);
    const signs = store.currentUnits(i).map((id) => store.units.get(id)?.call_sign ?? `#${id}`);
    setText(r.units, signs.length ? `${S.assignedUnits}: ${signs.join(", ")}` : `${S.received} ${clock(i.received_at)}`);
    r.receivedAt = i.received_at;
    r.tr.classList.toggle("selected", store.selectedIncidentId === i.id);
  };

  const render = () => {
    const list = [...store.incidents.values()].sort(
      (a, b) => a.priority - b.priority || Date.parse(a.received_at) - Date.parse(b.received_at) || a.id - b.id,
    );
    const keep = new Set(list.map((i) => i.id));
    for (const [id, r] of rows) {
      if (!keep.has(id)) {
        r.tr.remove();
        rows.delete(id);
        byTr.delete(r.tr);
        seen.unobserve(r.tr);
      }
    }
    let prev: HTMLTableRowElement | null = null;
    for (const i of list) {
      let r = rows.get(i.id);
      if (!r) {
        r = makeRow(i);
        rows.set(i.id, r);
        byTr.set(r.tr, r);
        seen.observe(r.tr);
      }
      fill(r, i);
      const want: ChildNode | null = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== r.tr) tbody.insertBefore(r.tr, want);
      prev = r.tr;
    }
    empty.hidden = list.length > 0;
    setText(count, `(${list.length})`);
    tick();
  };

  const tick = () => {
    const now = store.serverNow();
    for (const r of rows.values()) if (seen.isVisible(r.tr)) setText(r.elapsed, since(r.receivedAt, now));
  };

  store.subscribe((changes) => {
    if (changes.has("incidents") || changes.has("selection") || changes.has("units")) render();
  });
  render();
  return { tick };
}
