// Formatting helpers: 24-hour clock, elapsed time, ETA and distance.

const pad = (n: number) => String(n).padStart(2, "0");

/** Local time as HH:MM:SS (24-hour). */
export function clock(iso: string | null | Date): string {
  if (!iso) return "";
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Seconds as M:SS, or H:MM:SS past an hour. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
}

/** Time since an ISO timestamp, as duration(). */
export function since(iso: string | null, now = Date.now()): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return duration((now - t) / 1000);
}

export function km(metres: number): string {
  return (metres / 1000).toFixed(1);
}

export function lonLat(p: [number, number]): string {
  return `${p[0].toFixed(5)},${p[1].toFixed(5)}`;
}

/** Local date and time as YYYY-MM-DD HH:MM:SS (24-hour). */
export function dateTime(iso: string | null | Date): string {
  if (!iso) return "";
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(d)}`;
}

/** A Date as the text of a 24-hour date-time field: `YYYY-MM-DD HH:MM` (local time). */
export function toLocalText(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The `pattern` of a 24-hour date-time text field (a space or a `T` between date and time). */
export const LOCAL_TEXT_PATTERN = "\\s*\\d{4}-\\d{1,2}-\\d{1,2}[T ]\\d{1,2}:\\d{2}\\s*";

/**
 * `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` (24-hour, local time) as a Date; `null` for an empty
 * field, `"invalid"` for anything else (including impossible dates like 2024-02-30 or 24:00).
 */
export function parseLocalText(v: string): Date | null | "invalid" {
  const s = v.trim();
  if (!s) return null;
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})$/.exec(s);
  if (!m) return "invalid";
  const [y, mo, d, hh, mm] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (hh > 23 || mm > 59) return "invalid";
  const date = new Date(y, mo - 1, d, hh, mm);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return "invalid";
  return date;
}

