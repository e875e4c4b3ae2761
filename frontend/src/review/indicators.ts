// China's 120 quality indicators (GET /review/kpis → indicators; docs/indicators.md): calls answered
// within 10 s, departure within 3 min, mean and P90 response, calls per ambulance. Bilingual from its
// own small table (the names as the national documents publish them), so the shared dictionary
// stays as it is. Test ids: indicators-table, indicator-<key>.
import { h } from "../shared/dom";
import { duration } from "../shared/format";
import { lang } from "../shared/i18n";
import type { Indicators, IndicatorShare } from "../shared/types";

const TEXT = {
  en: {
    title: "120 quality indicators",
    indicator: "Indicator",
    value: "Value",
    basis: "Counted / left out",
    target: "National target",
    answered: "Calls answered within 10 s",
    departure: "Dispatch to departure within 3 min",
    responseMean: "Mean response time (call to first unit on scene)",
    responseP90: "90th percentile response time",
    perUnit: "Calls per ambulance (mean over the fleet)",
    counted: (n: number, out: number, what: string) => `${n} ${what}, ${out} left out`,
    calls: "calls",
    orders: "orders",
    reached: (n: number, of: number) => `${n} of ${of} incidents reached`,
    fleet: (total: number, units: number) => `${total} calls, ${units} units`,
    busiest: "busiest",
  },
  zh: {
    title: "120院前急救质控指标",
    indicator: "指标",
    value: "数值",
    basis: "计入 / 排除",
    target: "国家目标",
    answered: "120呼救电话10秒内接听比例",
    departure: "3分钟出车率",
    responseMean: "平均急救反应时间（呼救至首车到达现场）",
    responseP90: "急救反应时间第90百分位数",
    perUnit: "平均每车出车次数",
    counted: (n: number, out: number, what: string) => `计入 ${n} ${what}，排除 ${out}`,
    calls: "次呼叫",
    orders: "次派车",
    reached: (n: number, of: number) => `${of} 起事件中到达 ${n} 起`,
    fleet: (total: number, units: number) => `共 ${total} 次，${units} 辆车`,
    busiest: "最多",
  },
} as const;

const T = TEXT[lang];

const pct = (v: number | null) => (v === null ? "–" : `${Math.round(v * 1000) / 10}%`);
const secs = (v: number | null) => (v === null ? "–" : duration(v));

function shareRow(key: string, name: string, s: IndicatorShare, what: string): HTMLTableRowElement {
  const ok = s.share === null ? "" : s.share >= s.target_share ? "kpi-ok" : "kpi-bad";
  return h(
    "tr",
    { "data-testid": `indicator-${key}`, "data-share": s.share ?? "" },
    h("td", {}, name),
    h("td", { class: `num mono ${ok}` }, pct(s.share)),
    h("td", {}, T.counted(s.counted, s.excluded, what)),
    h("td", { class: "num mono" }, `≥ ${pct(s.target_share)}`),
  );
}

/** The indicators table; `null` (not searched yet) gives nothing. */
export function indicatorsTable(k: Indicators | null): HTMLElement | null {
  if (k === null) return null;
  const r = k.response;
  const u = k.calls_per_unit;
  const top = u.units.slice(0, 3).map((x) => `${x.call_sign} ${x.calls}`).join(", ");
  return h(
    "div",
    { class: "kpi-table-wrap" },
    h("h3", {}, T.title),
    h(
      "table",
      { class: "grid kpi", "data-testid": "indicators-table" },
      h("thead", {}, h("tr", {}, h("th", {}, T.indicator), h("th", { class: "num" }, T.value), h("th", {}, T.basis), h("th", { class: "num" }, T.target))),
      h(
        "tbody",
        {},
        shareRow("answered", T.answered, k.answered_10s, T.calls),
        shareRow("departure", T.departure, k.departure_3min, T.orders),
        h("tr", { "data-testid": "indicator-response-mean" }, h("td", {}, T.responseMean), h("td", { class: "num mono" }, secs(r.mean_s)), h("td", {}, T.reached(r.reached, r.incidents)), h("td", {})),
        h("tr", { "data-testid": "indicator-response-p90" }, h("td", {}, T.responseP90), h("td", { class: "num mono" }, secs(r.p90_s)), h("td", {}, T.reached(r.reached, r.incidents)), h("td", {})),
        h(
          "tr",
          { "data-testid": "indicator-per-unit" },
          h("td", {}, T.perUnit),
          h("td", { class: "num mono" }, u.mean === null ? "–" : u.mean.toFixed(2)),
          h("td", {}, `${T.fleet(u.total, u.fleet)}${top ? ` · ${T.busiest}: ${top}` : ""}`),
          h("td", {}),
        ),
      ),
    ),
  );
}
