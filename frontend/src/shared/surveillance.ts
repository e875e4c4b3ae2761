// The public-health watch API (issue 18, docs/api.md "Public-health watch"), shared by the
// console's signals panel and the review page's history: typed calls over shared/api.ts, the
// shapes from the generated OpenAPI types, and the words for methods and levels.
import { request } from "./api";
import type { components } from "./api-schema";
import { lang, S } from "./i18n";

export type Signal = components["schemas"]["Signal"];
export type WatchRound = components["schemas"]["WatchRound"];

export const openSignals = () => request<Signal[]>("GET", "/surveillance/signals");

/** Every signal that covered a day from `since` to `until` (local ISO days): the review. */
export const signalHistory = (since: string, until: string) =>
  request<Signal[]>("GET", `/surveillance/signals?status=all&since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`);

export const acknowledgeSignal = (id: number, note: string) =>
  request<Signal>("POST", `/surveillance/signals/${id}/acknowledge`, { note });

export const runWatch = () => request<WatchRound>("POST", "/surveillance/run");

/** The syndrome in the screen's language (the server sends both). */
export const syndromeLabel = (s: Signal): string => (lang === "zh" ? s.label.zh : s.label.en);

export const methodLabel = (m: string): string => S.surveillance.methods[m] ?? m;

/** Console events that change the list of signals. */
export const SIGNAL_EVENTS: ReadonlySet<string> = new Set(["SignalRaised", "SignalUpdated", "SignalClosed", "SignalAcknowledged"]);

/** Observed against expected, e.g. "17 calls vs 1.2 expected". */
export function observedText(s: Signal): string {
  return S.surveillance.observed.replace("{observed}", String(Math.round(s.observed))).replace("{expected}", s.expected.toFixed(1));
}
