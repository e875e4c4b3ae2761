// Selected incident + ranked unit recommendations with one-click Assign.
import { advice, ApiError, assign, recommendations } from "../../shared/api";
import { h } from "../../shared/dom";
import { clock, duration, km } from "../../shared/format";
import { S, statusLabel, t } from "../../shared/i18n";
import { store } from "../state";
import type { AdviceDecision, Assignment, LineString, Recommendation } from "../../shared/types";
import { mountIncidentDetail, type IncidentDetail } from "./detail";
import { showError, showMessage } from "../../shared/panels/message";

export interface RecommendationCallbacks {
  assigned(a: Assignment): void;
  preview(route: LineString | null): void;
}

/** A stale unit's GPS age for people, e.g. "GPS 4:10 old" (or "no GPS fix"). */
export function staleAge(r: { position_age_s: number | null }): string {
  return r.position_age_s === null ? S.recStaleNever : t("recStaleAge", { age: duration(r.position_age_s) });
}

/**
 * Why a unit ranks where it does, e.g. "fastest by road, 2:10, ALS" or "+0:40 vs fastest, 2:50,
 * BLS, nearest": built here from the ETAs, distances and capabilities of the list. A unit whose
 * GPS fix is stale says so first, with its age: the server ranked it by that old position (and
 * never above a fresh unit almost as close; dispatch/domain/freshness.py).
 */
export function recommendationReason(r: Recommendation, list: Recommendation[], priority: number | null): string {
  const best = Math.min(...list.map((x) => x.eta_s));
  const nearest = Math.min(...list.map((x) => x.distance_m));
  const parts: string[] = [];
  // Said first: the call is infectious and no isolation unit is free (the server offers others).
  if (r.no_isolation_unit) parts.push(S.noIsolationUnit);
  if (r.stale) parts.push(staleAge(r));
  if (r.eta_s <= best) parts.push(S.recFastest);
  else parts.push(t("recSlower", { delta: duration(r.eta_s - best) }));
  parts.push(duration(r.eta_s));
  parts.push(r.unit.capability);
  if (r.distance_m <= nearest && r.eta_s > best) parts.push(S.recNearest);
  if (r.unit.capability === "ALS" && priority !== null && priority <= 2) parts.push(t("recAlsFor", { priority }));
  return parts.join(", ");
}

/** Advice is fetched at most this often (selection changes and incident/unit events are throttled). */
const ADVICE_MIN_INTERVAL_MS = 2000;

/** A short reason for the optimiser's pick: the server's reason code, translated. */
export function adviceReason(d: AdviceDecision): string {
  const ex = d.explanation ?? {};
  switch (ex.reason_code) {
    case "fallback":
      return S.adviceFallback;
    case "divert":
      return S.adviceDivert;
    case "stale":
      return t("adviceStale", { age: d.position_age_s === null ? "?" : duration(d.position_age_s) });
    case "fresh":
      return t("adviceFresh", { unit: ex.closest_unit ?? "?" });
    case "nearest":
      return S.adviceNearest;
    case "covered":
      return t("adviceCovered", { zone: ex.zone_protected?.name ?? "?" });
    case "joint":
      return S.adviceOther;
    default:
      break;
  }
  // An older server without reason codes: judge from the explanation.
  if (ex.fallback) return S.adviceFallback;
  if (d.divert_from !== null && d.divert_from !== undefined) return S.adviceDivert;
  if (d.closest && d.closest.unit_id === d.unit_id) return S.adviceClosest;
  const parts: string[] = [];
  const chosen = store.units.get(d.unit_id);
  const closest = d.closest ? store.units.get(d.closest.unit_id) : undefined;
  if (closest?.capability === "ALS" && chosen && chosen.capability !== "ALS") parts.push(S.adviceKeepsAls);
  const zone = ex.zone_protected?.name;
  if (zone) parts.push(t("adviceProtects", { zone }));
  return parts.length ? parts.join(", ") : S.adviceJoint;
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
  const adviceLine = h("div", { class: "advice-line", "data-testid": "advice", hidden: true, title: S.adviceTitle });
  root.append(h("div", { class: "panel-title" }, title, h("span", { class: "spacer" }), refresh, close), head, detail.root, adviceLine, table, placeholder);

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
    if (list.some((r) => r.no_isolation_unit)) {
      tbody.append(
        h("tr", {}, h("td", { colspan: 6, class: "flag warn strong-flag", "data-testid": "no-isolation-unit" }, S.noIsolationUnit)),
      );
    }
    for (const r of list) {
      const btn = h(
        "button",
        { type: "button", class: "btn primary small", "data-testid": `assign-${r.unit.id}`, title: adding ? S.addUnitTitle : S.assign },
        adding ? S.addUnit : S.assign,
      );
      const reason = recommendationReason(r, list, inc?.priority ?? null);
      const margin = duration(store.config?.stale_rank_margin_s ?? 60);
      const tr = h(
        "tr",
        {
          "data-testid": `recommendation-row-${r.unit.id}`,
          "data-unit-id": r.unit.id,
          "data-stale": String(r.stale),
          class: r.stale ? "stale" : "",
        },
        h("td", { class: "num" }, String(r.rank)),
        h(
          "td",
          {},
          h(
            "div",
            { class: "strong" },
            r.unit.call_sign,
            r.stale
              ? h(
                  "span",
                  { class: "flag stale strong-flag", "data-testid": `recommendation-stale-${r.unit.id}`, title: t("recStaleTitle", { margin }) },
                  staleAge(r),
                )
              : null,
          ),
          h("div", { class: "sub rec-reason", "data-testid": `recommendation-reason-${r.unit.id}` }, reason),
        ),
        h("td", { class: "mono" }, r.unit.capability),
        h("td", { class: "num mono" }, duration(r.eta_s)),
        h("td", { class: "num mono" }, km(r.distance_m)),
        h("td", { class: "num" }, btn),
      );
      tr.addEventListener("mouseenter", () => cb.preview(r.route));
      tr.addEventListener("mouseleave", () => cb.preview(null));
      btn.addEventListener("click", () => doAssign(incidentId, r.unit.id, btn));
      tbody.append(tr);
    }
  };

  const doAssign = (incidentId: number, unitId: number, btn: HTMLButtonElement) => {
    btn.disabled = true;
    btn.textContent = S.assigning;
    assign(incidentId, unitId)
      .then((a) => {
        cb.preview(null);
        cb.assigned(a);
        showMessage(t("unitAssigned", { unit: a.unit.call_sign, number: a.incident.number }), "info");
        reload();
        scheduleAdvice();
      })
      .catch((e: unknown) => {
        showError(e);
        // 409 unit-not-available and friends: the list is stale, fetch a fresh one.
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
          reload();
          scheduleAdvice();
        } else {
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

  // ---- optimiser advice (GET /advice: the joint plan for all pending calls) ----
  let decisions = new Map<number, AdviceDecision>();
  let adviceTimer: number | undefined;
  let adviceReqNo = 0;
  let lastAdviceAt = -Infinity;
  let adviceKey = "";

  const selectedPending = (): number | null => {
    const id = store.selectedIncidentId;
    const inc = id !== null ? store.incidents.get(id) : undefined;
    return inc && inc.status === "pending" ? inc.id : null;
  };

  const renderAdvice = () => {
    const id = selectedPending();
    const d = id !== null ? decisions.get(id) : undefined;
    if (id === null || !d) {
      adviceKey = "";
      adviceLine.hidden = true;
      adviceLine.replaceChildren();
      return;
    }
    const sign = store.units.get(d.unit_id)?.call_sign ?? d.explanation?.unit ?? `#${d.unit_id}`;
    const reason = adviceReason(d);
    const isClosest = d.closest !== null && d.closest.unit_id === d.unit_id;
    const key = JSON.stringify([id, d.unit_id, sign, Math.round(d.eta_s), reason, isClosest, d.policy]);
    adviceLine.hidden = false;
    if (key === adviceKey) return;
    adviceKey = key;
    const btn = h("button", { type: "button", class: "btn primary small", "data-testid": "advice-assign", "data-unit-id": d.unit_id }, S.assign);
    btn.addEventListener("click", () => doAssign(id, d.unit_id, btn));
    adviceLine.dataset["unitId"] = String(d.unit_id);
    adviceLine.dataset["incidentId"] = String(id);
    adviceLine.dataset["policy"] = d.policy;
    adviceLine.dataset["reasonCode"] = d.explanation?.reason_code ?? "";
    adviceLine.title = `${S.adviceTitle} · ${t("advicePolicyTitle", { policy: store.config?.advice_policy ?? d.policy })}`;
    adviceLine.replaceChildren(
      h(
        "div",
        { class: "advice-text" },
        h("span", { class: "advice-label" }, `${S.advice}: `),
        h("span", { class: "strong" }, sign),
        ", ",
        h("span", { class: "mono" }, duration(d.eta_s)),
        " — ",
        h("span", { class: "advice-reason", "data-testid": "advice-reason" }, reason),
        isClosest ? h("span", { class: "badge advice-closest", "data-testid": "advice-closest", title: S.adviceIsClosestTitle }, S.adviceIsClosest) : null,
      ),
      btn,
    );
  };

  const fetchAdvice = () => {
    adviceTimer = undefined;
    if (selectedPending() === null) {
      renderAdvice();
      return;
    }
    lastAdviceAt = Date.now();
    const mine = ++adviceReqNo;
    advice()
      .then((res) => {
        if (mine !== adviceReqNo) return;
        decisions = new Map(res.decisions.map((d) => [d.incident_id, d]));
        renderAdvice();
      })
      .catch(() => {
        // Advice is a hint: on failure the ranked list still works, so just hide the line.
        if (mine !== adviceReqNo) return;
        decisions = new Map();
        renderAdvice();
      });
  };

  /** Fetch advice soon, but at most once every ADVICE_MIN_INTERVAL_MS. */
  const scheduleAdvice = () => {
    renderAdvice();
    if (selectedPending() === null || adviceTimer !== undefined) return;
    const wait = Math.max(0, lastAdviceAt + ADVICE_MIN_INTERVAL_MS - Date.now());
    adviceTimer = window.setTimeout(fetchAdvice, wait);
  };

  refresh.addEventListener("click", () => {
    reload();
    scheduleAdvice();
  });
  close.addEventListener("click", () => store.select(null));

  store.subscribe((changes) => {
    if (changes.has("selection")) reload();
    else if (changes.has("incidents") || changes.has("units")) renderHead();
    if (changes.has("selection") || changes.has("incidents") || changes.has("units")) scheduleAdvice();
  });
  reload();
  scheduleAdvice();
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
