// Selected incident + ranked unit recommendations with one-click Assign.
import { ApiError, assign, recommendations } from "../api";
import { h } from "../dom";
import { clock, duration, km } from "../format";
import { S, statusLabel, t } from "../i18n";
import { store } from "../state";
import type { Assignment, LineString, Recommendation } from "../types";
import { mountIncidentDetail, type IncidentDetail } from "./detail";
import { showError, showMessage } from "./message";

export interface RecommendationCallbacks {
  assigned(a: Assignment): void;
  preview(route: LineString | null): void;
}

/**
 * Why a unit ranks where it does, e.g. "fastest by road, 2:10, ALS" or "+0:40 vs fastest, 2:50,
 * BLS, nearest": built here from the ETAs, distances and capabilities of the list.
 */
export function recommendationReason(r: Recommendation, list: Recommendation[], priority: number | null): string {
  const best = Math.min(...list.map((x) => x.eta_s));
  const nearest = Math.min(...list.map((x) => x.distance_m));
  const parts: string[] = [];
  if (r.eta_s <= best) parts.push(S.recFastest);
  else parts.push(t("recSlower", { delta: duration(r.eta_s - best) }));
  parts.push(duration(r.eta_s));
  parts.push(r.unit.capability);
  if (r.distance_m <= nearest && r.eta_s > best) parts.push(S.recNearest);
  if (r.unit.capability === "ALS" && priority !== null && priority <= 2) parts.push(t("recAlsFor", { priority }));
  return parts.join(", ");
}

export function mountRecommendations(
  root: HTMLElement,
  cb: RecommendationCallbacks,
): { reload(): void; scheduleReload(delayMs: number): void; assignTop(): boolean; detail: IncidentDetail } {
  const title = h("h2", {}, S.recommendations);
  const refresh = h("button", { type: "button", class: "btn small", title: S.refresh, "data-testid": "recommendations-refresh" }, "⟳");
  const close = h("button", { type: "button", class: "btn small ghost", title: S.close, "data-testid": "incident-close" }, "×");
  const head = h("div", { class: "incident-head", "data-testid": "selected-incident" });
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "grid recs", "data-testid": "recommendations" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, S.colRank),
        h("th", {}, S.colUnit),
        h("th", {}, S.colCap),
        h("th", { class: "num" }, S.colEta),
        h("th", { class: "num" }, `${S.colDist} (${S.km})`),
        h("th", {}),
      ),
    ),
    tbody,
  );
  const placeholder = h("div", { class: "empty" }, S.selectIncident);
  const detail = mountIncidentDetail({ assigned: (a) => cb.assigned(a), reloadRecs: () => reload() });
  root.append(h("div", { class: "panel-title" }, title, h("span", { class: "spacer" }), refresh, close), head, detail.root, table, placeholder);

  let requestNo = 0;
  let shownFor: number | null = null;
  let timer: number | undefined;
  let headKey = "";

  const renderHead = () => {
    const id = store.selectedIncidentId;
    const inc = id !== null ? store.incidents.get(id) : undefined;
    refresh.hidden = close.hidden = !inc;
    if (!inc) {
      headKey = "";
      head.replaceChildren();
      head.hidden = true;
      return;
    }
    head.hidden = false;
    const signs = store.currentUnits(inc).map((u) => store.units.get(u)?.call_sign ?? `#${u}`);
    const key = JSON.stringify([inc, signs]);
    if (key === headKey) return;
    headKey = key;
    const parts: (HTMLElement | null)[] = [
      h(
        "div",
        { class: "row" },
        h("span", { class: `prio p${inc.priority}` }, t("priorityLabel", { priority: inc.priority })),
        h("span", { class: "mono strong" }, inc.number),
        h("span", { class: `badge st-${inc.status}` }, statusLabel(inc.status)),
      ),
      h("div", { class: "addr strong" }, inc.address || S.unknownAddress),
      inc.complaint ? h("div", {}, inc.complaint) : null,
      h(
        "div",
        { class: "sub" },
        `${S.received} ${clock(inc.received_at)}`,
        signs.length ? ` · ${S.assignedUnits}: ${signs.join(", ")}` : "",
      ),
    ];
    head.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
  };

  const renderRecs = (list: Recommendation[], incidentId: number) => {
    tbody.replaceChildren();
    cb.preview(null);
    if (list.length === 0) {
      tbody.append(h("tr", {}, h("td", { colspan: 6, class: "empty" }, S.noRecommendations)));
      return;
    }
    const inc = store.incidents.get(incidentId);
    const adding = inc !== undefined && store.currentUnits(inc).length > 0;
    for (const r of list) {
      const btn = h(
        "button",
        { type: "button", class: "btn primary small", "data-testid": `assign-${r.unit.id}`, title: adding ? S.addUnitTitle : S.assign },
        adding ? S.addUnit : S.assign,
      );
      const reason = recommendationReason(r, list, inc?.priority ?? null);
      const tr = h(
        "tr",
        { "data-testid": `recommendation-row-${r.unit.id}`, "data-unit-id": r.unit.id },
        h("td", { class: "num" }, String(r.rank)),
        h(
          "td",
          {},
          h("div", { class: "strong" }, r.unit.call_sign),
          h("div", { class: "sub rec-reason", "data-testid": `recommendation-reason-${r.unit.id}` }, reason),
        ),
        h("td", { class: "mono" }, r.unit.capability),
        h("td", { class: "num mono" }, duration(r.eta_s)),
        h("td", { class: "num mono" }, km(r.distance_m)),
        h("td", { class: "num" }, btn),
      );
      tr.addEventListener("mouseenter", () => cb.preview(r.route));
      tr.addEventListener("mouseleave", () => cb.preview(null));
      btn.addEventListener("click", () => doAssign(incidentId, r, btn));
      tbody.append(tr);
    }
  };

  const doAssign = (incidentId: number, r: Recommendation, btn: HTMLButtonElement) => {
    btn.disabled = true;
    btn.textContent = S.assigning;
    assign(incidentId, r.unit.id)
      .then((a) => {
        cb.preview(null);
        cb.assigned(a);
        showMessage(t("unitAssigned", { unit: a.unit.call_sign, number: a.incident.number }), "info");
        reload();
      })
      .catch((e: unknown) => {
        showError(e);
        // 409 unit-not-available and friends: the list is stale, fetch a fresh one.
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) reload();
        else {
          btn.disabled = false;
          const cur = store.incidents.get(incidentId);
          btn.textContent = cur && store.currentUnits(cur).length > 0 ? S.addUnit : S.assign;
        }
      });
  };

  const reload = () => {
    window.clearTimeout(timer);
    const id = store.selectedIncidentId;
    const mine = ++requestNo;
    renderHead();
    if (id === null || !store.incidents.has(id)) {
      shownFor = null;
      tbody.replaceChildren();
      table.hidden = true;
      placeholder.hidden = false;
      cb.preview(null);
      return;
    }
    placeholder.hidden = true;
    table.hidden = false;
    if (shownFor !== id) {
      tbody.replaceChildren(h("tr", {}, h("td", { colspan: 6, class: "empty" }, "…")));
      cb.preview(null);
    }
    root.classList.add("loading");
    recommendations(id, 5)
      .then((list) => {
        if (mine !== requestNo) return;
        shownFor = id;
        renderRecs(list, id);
      })
      .catch((e: unknown) => {
        if (mine !== requestNo) return;
        showError(e);
        shownFor = id;
        tbody.replaceChildren();
      })
      .finally(() => {
        if (mine === requestNo) root.classList.remove("loading");
      });
  };

  const scheduleReload = (delayMs: number) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(reload, delayMs);
  };

  refresh.addEventListener("click", reload);
  close.addEventListener("click", () => store.select(null));

  store.subscribe((changes) => {
    if (changes.has("selection")) reload();
    else if (changes.has("incidents") || changes.has("units")) renderHead();
  });
  reload();
  /** Click the first enabled Assign button (keyboard shortcut A); false when there is none. */
  const assignTop = (): boolean => {
    if (store.selectedIncidentId === null || table.hidden) return false;
    const btn = tbody.querySelector<HTMLButtonElement>("button[data-testid^='assign-']:not(:disabled)");
    if (!btn) return false;
    btn.click();
    return true;
  };

  return { reload, scheduleReload, assignTop, detail };
}
