// The review's public-health signal history (issue 18, data-testid="review-signals"): every
// signal that covered a day of the searched period, open or closed, with its method, observed vs
// expected calls, areas and who acknowledged it with what note; and the daily aggregated counts
// for the health authority (CSV: day, syndrome, area, calls; no personal data).
import * as api from "../shared/api";
import { h, setText } from "../shared/dom";
import { S } from "../shared/i18n";
import { showError, showMessage } from "../shared/panels/message";
import { methodLabel, observedText, signalHistory, syndromeLabel, type Signal } from "../shared/surveillance";

export interface SignalHistory {
  /** Show the signals of local days `fromDay` .. `toDay` (ISO dates, both included). */
  load(fromDay: string, toDay: string): void;
}

export function mountSignalHistory(root: HTMLElement): SignalHistory {
  const meta = h("span", { class: "sub" });
  const exportBtn = h("button", { type: "button", class: "btn small", "data-testid": "signals-export" }, S.surveillance.exportCounts);
  const body = h("tbody");
  const empty = h("div", { class: "empty", hidden: true }, S.surveillance.historyNone);
  const cols = [
    S.surveillance.colSyndrome,
    S.surveillance.colLevel,
    S.surveillance.colMethod,
    S.surveillance.colSince,
    S.surveillance.colLast,
    S.surveillance.colObserved,
    S.surveillance.colAreas,
    S.surveillance.colStatus,
    S.surveillance.colAck,
  ];
  root.append(
    h("div", { class: "panel-title" }, h("h2", {}, S.surveillance.history), meta, h("span", { class: "spacer" }), exportBtn),
    h("table", { class: "grid", "data-testid": "review-signals" }, h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", {}, c)))), body),
    empty,
  );

  let period: [string, string] | null = null;
  let requestNo = 0;

  const row = (s: Signal) =>
    h(
      "tr",
      { "data-testid": `review-signal-${s.id}`, "data-level": s.level, "data-status": s.status },
      h("td", {}, syndromeLabel(s)),
      h("td", {}, S.surveillance.levels[s.level] ?? s.level),
      h("td", {}, methodLabel(s.method)),
      h("td", { class: "mono" }, s.since),
      h("td", { class: "mono" }, s.last_seen),
      h("td", {}, observedText(s)),
      h("td", { class: "mono", title: s.areas.map((a) => a.id).join(" ") }, String(s.areas.length)),
      h("td", {}, S.surveillance.statuses[s.status] ?? s.status),
      h("td", {}, s.acknowledged_at ? `${s.acknowledged_by ?? ""}: ${s.acknowledge_note ?? ""}` : "–"),
    );

  exportBtn.addEventListener("click", () => {
    if (!period) return;
    const [from, to] = period;
    exportBtn.disabled = true;
    api
      .surveillanceCountsCsv(from, to)
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        const a = h("a", { href: url, download: `syndrome-counts-${from}-${to}.csv`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
        showMessage(`${S.surveillance.exportCounts}: ${(blob.size / 1024).toFixed(1)} kB`, "info");
      })
      .catch(showError)
      .finally(() => (exportBtn.disabled = false));
  });

  return {
    load(fromDay, toDay) {
      period = [fromDay, toDay];
      setText(meta, ` · ${fromDay} – ${toDay}`);
      const mine = ++requestNo;
      signalHistory(fromDay, toDay)
        .then((found) => {
          if (mine !== requestNo) return;
          body.replaceChildren(...found.map(row));
          empty.hidden = found.length > 0;
          root.dataset["loaded"] = String(found.length);
        })
        .catch(showError);
    },
  };
}
