// Pending call queue: calls waiting for a unit, by priority then waiting time, each with a live
// countdown to its response target (GET /config, urban area), red once overdue. Times are judged
// against the server's clock (store.serverNow), not the browser's.
import { h, setText } from "../../shared/dom";
import { duration } from "../../shared/format";
import { S, t } from "../../shared/i18n";
import { store } from "../state";
import type { Incident } from "../../shared/types";

interface Row {
  tr: HTMLTableRowElement;
  prio: HTMLElement;
  number: HTMLElement;
  address: HTMLElement;
  waiting: HTMLElement;
  countdown: HTMLElement;
  incident: Incident;
}

export function mountQueue(root: HTMLElement, onSelect: (id: number) => void): { tick(): void } {
  const count = h("span", { class: "count" });
  const tbody = h("tbody");
  const empty = h("div", { class: "empty" }, S.queueEmpty);
  const table = h(
    "table",
    { class: "grid queue", "data-testid": "call-queue" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { title: S.priority }, S.colPriority),
        h("th", {}, S.colNumber),
        h("th", { class: "num" }, S.colWaiting),
        h("th", { class: "num", title: S.queueTargetTitle }, S.colTarget),
      ),
    ),
    tbody,
  );
  root.append(h("h2", {}, S.queue, " ", count), h("div", { class: "scroll" }, table, empty));
  const rows = new Map<number, Row>();

  const makeRow = (i: Incident): Row => {
    const cells = {
      prio: h("span", { class: "prio" }),
      number: h("div", { class: "mono nowrap" }),
      address: h("div", { class: "sub addr" }),
      waiting: h("td", { class: "num mono" }),
      countdown: h("span", { class: "countdown mono", "data-testid": `queue-countdown-${i.id}` }),
    };
    const tr = h(
      "tr",
      { "data-testid": `queue-row-${i.id}`, "data-incident-id": i.id, tabindex: 0 },
      h("td", {}, cells.prio),
      h("td", { class: "addr-cell" }, cells.number, cells.address),
      cells.waiting,
      h("td", { class: "num" }, cells.countdown),
    );
    tr.addEventListener("click", () => onSelect(i.id));
    tr.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        onSelect(i.id);
      }
    });
    return { tr, ...cells, incident: i };
  };

  const render = () => {
    const list = [...store.incidents.values()]
      .filter((i) => i.status === "pending")
      .sort((a, b) => a.priority - b.priority || Date.parse(a.received_at) - Date.parse(b.received_at) || a.id - b.id);
    const keep = new Set(list.map((i) => i.id));
    for (const [id, r] of rows) {
      if (!keep.has(id)) {
        r.tr.remove();
        rows.delete(id);
      }
    }
    let prev: HTMLTableRowElement | null = null;
    for (const i of list) {
      let r = rows.get(i.id);
      if (!r) {
        r = makeRow(i);
        rows.set(i.id, r);
      }
      r.incident = i;
      setText(r.prio, t("priorityLabel", { priority: i.priority }));
      r.prio.className = `prio p${i.priority}`;
      setText(r.number, i.number);
      const addr = i.address || S.unknownAddress;
      setText(r.address, i.complaint ? `${addr} · ${i.complaint}` : addr);
      r.tr.classList.toggle("selected", store.selectedIncidentId === i.id);
      const want: ChildNode | null = prev ? prev.nextSibling : tbody.firstChild;
      if (want !== r.tr) tbody.insertBefore(r.tr, want);
      prev = r.tr;
    }
    empty.hidden = list.length > 0;
    root.classList.toggle("has-calls", list.length > 0);
    setText(count, `(${list.length})`);
    tick();
  };

  const tick = () => {
    const now = store.serverNow();
    for (const r of rows.values()) {
      const waited = (now - Date.parse(r.incident.received_at)) / 1000;
      setText(r.waiting, duration(waited));
      const target = store.targetSeconds(r.incident.priority);
      if (target === null) {
        setText(r.countdown, "–");
        continue;
      }
      const left = target - waited;
      const overdue = left < 0;
      setText(r.countdown, overdue ? `-${duration(-left)}` : duration(left));
      r.countdown.dataset["overdue"] = String(overdue);
      r.countdown.dataset["seconds"] = String(Math.round(left));
      r.countdown.classList.toggle("overdue", overdue);
      r.countdown.classList.toggle("soon", !overdue && left < 120);
      r.tr.classList.toggle("overdue", overdue);
      r.countdown.title = t("queueCountdownTitle", { target: duration(target) });
    }
  };

  store.subscribe((changes) => {
    if (changes.has("incidents") || changes.has("selection") || changes.has("config")) render();
  });
  render();
  return { tick };
}
