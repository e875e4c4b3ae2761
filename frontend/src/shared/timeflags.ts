// Why a recorded time is suspicious or not the crew device's own (docs/times.md): the reason
// codes the server puts in a unit's `status_flags` and a time's `flags`, as people read them.
// A small table of its own (both languages) so the crew app, the console and the review share it.
import { lang } from "./i18n";

const TEXT: Record<string, { en: string; zh: string }> = {
  "clock-skew": { en: "device clock was off; time corrected", zh: "设备时钟偏差，时间已校正" },
  future: { en: "device time in the future; server time used", zh: "设备时间超前，已用服务器时间" },
  "before-previous": { en: "time before the previous status; raised to it", zh: "时间早于上一状态，已调整" },
  "too-old": { en: "device time too old; server time used", zh: "设备时间过旧，已用服务器时间" },
  corrected: { en: "corrected by a supervisor", zh: "主管已更正" },
  "order-warning": { en: "unusual order of times", zh: "时间顺序异常" },
};

const TITLE = { en: "Time flagged", zh: "时间已标记" };

/** One flag as text in the screen's language (an unknown code is shown as it is). */
export function flagText(code: string): string {
  return TEXT[code]?.[lang] ?? code;
}

/** "Time flagged: a; b" for a list of codes, or "" when there are none. */
export function flagsText(codes: readonly string[] | null | undefined): string {
  if (!codes || codes.length === 0) return "";
  return `${TITLE[lang]}: ${codes.map(flagText).join("; ")}`;
}

/** The device's time of an action and its clock now: what a crew update carries (`at`, `sent_at`). */
export interface DeviceTime {
  at: string;
  sent_at: string;
}

/** `at` (an ISO time the action happened, by this device's clock) and this device's clock now. */
export function deviceTime(at: string): DeviceTime {
  return { at, sent_at: new Date().toISOString() };
}
