// KPI panel: per-priority response-time table (kpi-table, kpi-row-<p>) and two plain-SVG charts
// (kpi-chart): the share reached within target against the required share, and median / P90
// response times against the target time. No chart library.
import { h } from "../shared/dom";
import { duration } from "../shared/format";
import { S, t } from "../shared/i18n";
import type { Kpis, PriorityKpi } from "../shared/types";
import { indicatorsTable } from "./indicators";

const SVG = "http://www.w3.org/2000/svg";
const PRIORITY_COLORS = ["#e03131", "#f76707", "#e8b300", "#4dabf7"];

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

const secs = (v: number | null) => (v === null || v === undefined ? "–" : duration(v));
const pct = (v: number | null) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);

export function renderKpis(root: HTMLElement, k: Kpis | null): void {
  const rows = k?.priorities ?? [];
  const tbody = h(
    "tbody",
    {},
    ...rows.map((r) => {
      const ok = r.within_target_share === null ? null : r.within_target_share >= r.target_fraction;
      return h(
        "tr",
        { "data-testid": `kpi-row-${r.priority}`, "data-priority": r.priority },
        h("td", {}, h("span", { class: `prio p${r.priority}` }, t("priorityLabel", { priority: r.priority }))),
        h("td", { class: "num" }, String(r.incidents)),
        h("td", { class: "num" }, String(r.reached)),
        h("td", { class: "num" }, String(r.cancelled)),
        h("td", { class: "num mono", "data-kpi": "median" }, secs(r.response_median_s)),
        h("td", { class: "num mono", "data-kpi": "p90" }, secs(r.response_p90_s)),
        h(
          "td",
          { class: `num mono ${ok === null ? "" : ok ? "kpi-ok" : "kpi-bad"}`, "data-kpi": "within", "data-share": r.within_target_share ?? "" },
          `${pct(r.within_target_share)} / ${pct(r.target_fraction)}`,
        ),
        h("td", { class: "num mono" }, duration(r.target_s)),
        h("td", { class: "num mono", "data-kpi": "call-to-dispatch" }, secs(r.call_to_dispatch_median_s)),
        h("td", { class: "num mono", "data-kpi": "dispatch-to-departure" }, secs(r.dispatch_to_departure_median_s)),
      );
    }),
  );
  const table = h(
    "table",
    { class: "grid kpi", "data-testid": "kpi-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, S.colPriority),
        h("th", { class: "num" }, S.kpiCalls),
        h("th", { class: "num" }, S.kpiReached),
        h("th", { class: "num" }, S.kpiCancelled),
        h("th", { class: "num" }, S.kpiMedian),
        h("th", { class: "num" }, S.kpiP90),
        h("th", { class: "num" }, S.kpiWithin),
        h("th", { class: "num" }, S.kpiTarget),
        h("th", { class: "num" }, S.kpiCallToDispatch),
        h("th", { class: "num" }, S.kpiDispatchToDeparture),
      ),
    ),
    tbody,
  );
  const chart = h("div", { class: "kpi-charts", "data-testid": "kpi-chart" });
  chart.append(shareChart(rows), timesChart(rows));
  root.replaceChildren(
    h("div", { class: "kpi-table-wrap" }, table, rows.length === 0 ? h("div", { class: "empty" }, S.kpiNoData) : null),
    chart,
    ...[indicatorsTable(k?.indicators ?? null)].filter((el): el is HTMLElement => el !== null),
    servicesTable(k),
  );
}

/** Infectious transport (issue 18) and the blood supply (issue 19) over the same period. */
function servicesTable(k: Kpis | null): HTMLElement {
  const T = S.reviewServices;
  const cell = (label: string, value: string, key: string) =>
    h("div", { class: "kpi-fact", "data-kpi": key }, h("span", { class: "sub" }, label), " ", h("strong", { class: "mono" }, value));
  const n = (v: number | null | undefined) => (v === null || v === undefined ? "–" : String(v));
  const inf = k?.infectious ?? null;
  const blood = k?.blood ?? null;
  return h(
    "div",
    { class: "kpi-services", "data-testid": "kpi-services" },
    h("h3", {}, T.title),
    h(
      "div",
      { class: "kpi-facts", "data-testid": "kpi-infectious" },
      h("span", { class: "strong" }, T.infectious),
      cell(T.infectiousCalls, n(inf?.incidents), "infectious-calls"),
      cell(T.infectiousTransports, n(inf?.transports), "infectious-transports"),
      cell(T.decontaminations, n(inf?.decontaminations), "decontaminations"),
      cell(T.decontaminationMedian, secs(inf?.decontamination_median_s ?? null), "decontamination-median"),
    ),
    h(
      "div",
      { class: "kpi-facts", "data-testid": "kpi-blood" },
      h("span", { class: "strong" }, T.blood),
      cell(T.bloodRequests, n(blood?.requests), "blood-requests"),
      cell(T.bloodDelivered, n(blood?.delivered), "blood-delivered"),
      cell(T.bloodLate, n(blood?.late), "blood-late"),
      cell(T.bloodWaitlisted, n(blood?.waitlisted), "blood-waitlisted"),
      cell(T.bloodMedian, secs(blood?.delivered_median_s ?? null), "blood-median"),
      cell(T.bloodP90, secs(blood?.delivered_p90_s ?? null), "blood-p90"),
      cell(T.bloodExpired, n(blood?.units_expired), "blood-expired"),
    ),
  );
}

const W = 330;
const ROW = 26;
const LEFT = 34;
const TOP = 20;

/** Bars: share reached within target per priority; a tick at the required share. */
function shareChart(rows: PriorityKpi[]): SVGSVGElement {
  const height = TOP + Math.max(1, rows.length) * ROW + 18;
  const s = svg("svg", { viewBox: `0 0 ${W} ${height}`, width: W, height, role: "img", "aria-label": S.kpiChartShare, class: "kpi-svg" });
  s.append(svg("text", { x: 0, y: 12, class: "chart-title" }, S.kpiChartShare));
  const plot = W - LEFT - 44;
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const share = r.within_target_share ?? 0;
    const ok = r.within_target_share !== null && share >= r.target_fraction;
    s.append(svg("text", { x: 0, y: y + 15, class: "chart-label" }, `P${r.priority}`));
    s.append(svg("rect", { x: LEFT, y: y + 4, width: plot, height: 14, class: "chart-track" }));
    s.append(
      svg("rect", {
        x: LEFT,
        y: y + 4,
        width: Math.max(0, plot * share),
        height: 14,
        fill: r.within_target_share === null ? "transparent" : ok ? "#2f9e44" : "#e5484d",
        "data-priority": r.priority,
      }),
    );
    const tx = LEFT + plot * r.target_fraction;
    s.append(svg("line", { x1: tx, x2: tx, y1: y + 1, y2: y + 21, class: "chart-target" }));
    s.append(svg("text", { x: LEFT + plot + 6, y: y + 15, class: "chart-value" }, pct(r.within_target_share)));
  });
  s.append(svg("text", { x: LEFT, y: height - 3, class: "chart-axis" }, "0%"));
  s.append(svg("text", { x: LEFT + plot, y: height - 3, class: "chart-axis", "text-anchor": "end" }, "100%"));
  return s;
}

/** Bars: median (solid) and P90 (light) response time per priority; a tick at the target time. */
function timesChart(rows: PriorityKpi[]): SVGSVGElement {
  const height = TOP + Math.max(1, rows.length) * ROW + 18;
  const s = svg("svg", { viewBox: `0 0 ${W} ${height}`, width: W, height, role: "img", "aria-label": S.kpiChartTimes, class: "kpi-svg" });
  s.append(svg("text", { x: 0, y: 12, class: "chart-title" }, S.kpiChartTimes));
  const plot = W - LEFT - 44;
  const max = Math.max(60, ...rows.flatMap((r) => [r.target_s, r.response_p90_s ?? 0, r.response_median_s ?? 0]));
  const x = (v: number) => LEFT + (plot * v) / max;
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const color = PRIORITY_COLORS[Math.min(3, Math.max(0, r.priority - 1))]!;
    s.append(svg("text", { x: 0, y: y + 15, class: "chart-label" }, `P${r.priority}`));
    s.append(svg("rect", { x: LEFT, y: y + 4, width: plot, height: 14, class: "chart-track" }));
    if (r.response_p90_s !== null) s.append(svg("rect", { x: LEFT, y: y + 4, width: x(r.response_p90_s) - LEFT, height: 14, fill: color, opacity: 0.35 }));
    if (r.response_median_s !== null) s.append(svg("rect", { x: LEFT, y: y + 7, width: x(r.response_median_s) - LEFT, height: 8, fill: color }));
    const tx = x(r.target_s);
    s.append(svg("line", { x1: tx, x2: tx, y1: y + 1, y2: y + 21, class: "chart-target" }));
    s.append(svg("text", { x: LEFT + plot + 6, y: y + 15, class: "chart-value" }, secs(r.response_median_s)));
  });
  s.append(svg("text", { x: LEFT, y: height - 3, class: "chart-axis" }, "0:00"));
  s.append(svg("text", { x: LEFT + plot, y: height - 3, class: "chart-axis", "text-anchor": "end" }, duration(max)));
  return s;
}
