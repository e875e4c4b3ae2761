// Formatting helpers: 24-hour clock, elapsed time, ETA and distance.
//
// Times arrive from the API in UTC and are shown in the centre's time zone (GET /config
// `time_zone`, an IANA name), not the browser's: a dispatcher, a crew tablet and a supervisor's
// laptop must read the same wall clock for one moment. Until the configuration has loaded, the
// browser's own zone is used. Every screen formats times through this module only.

const pad = (n: number) => String(n).padStart(2, "0");

let zone: string | undefined;
let parts: Intl.DateTimeFormat = makeFormat(undefined);

function makeFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** Use the centre's IANA time zone for every time shown; an unknown name is ignored (false). */
export function setTimeZone(name: string | null | undefined): boolean {
  if (!name) return false;
  try {
    const f = makeFormat(name);
    zone = name;
    parts = f;
    return true;
  } catch {
    return false;
  }
}

/** The centre's time zone once configured (undefined: the browser's). */
export function timeZone(): string | undefined {
  return zone;
}

interface WallClock {
  y: number;
  mo: number;
  d: number;
  hh: number;
  mm: number;
  ss: number;
}

/** The wall clock of the centre's zone at instant `d`. */
function wall(d: Date): WallClock {
  const out: Record<string, number> = {};
  for (const p of parts.formatToParts(d)) if (p.type !== "literal") out[p.type] = Number(p.value);
  return { y: out["year"]!, mo: out["month"]!, d: out["day"]!, hh: out["hour"]! % 24, mm: out["minute"]!, ss: out["second"]! };
}

/** Local time (the centre's zone) as HH:MM:SS (24-hour). */
export function clock(iso: string | null | Date): string {
  if (!iso) return "";
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const w = wall(d);
  return `${pad(w.hh)}:${pad(w.mm)}:${pad(w.ss)}`;
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

/** Local date and time (the centre's zone) as YYYY-MM-DD HH:MM:SS (24-hour). */
export function dateTime(iso: string | null | Date): string {
  if (!iso) return "";
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const w = wall(d);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.hh)}:${pad(w.mm)}:${pad(w.ss)}`;
}

/** A Date as the text of a 24-hour date-time field: `YYYY-MM-DD HH:MM` (the centre's zone). */
export function toLocalText(d: Date): string {
  const w = wall(d);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.hh)}:${pad(w.mm)}`;
}

/**
 * The instant at which the centre's wall clock reads the given time. Two corrections of the
 * zone's offset settle it (a daylight-saving jump in between moves the second guess); a time
 * that does not exist (skipped by a spring-forward) lands just after the gap.
 */
function fromWall(y: number, mo: number, d: number, hh: number, mm: number): Date {
  const target = Date.UTC(y, mo - 1, d, hh, mm);
  let t = target;
  for (let i = 0; i < 2; i++) {
    const w = wall(new Date(t));
    const shown = Date.UTC(w.y, w.mo - 1, w.d, w.hh, w.mm, w.ss);
    t += target - shown;
  }
  return new Date(t);
}

/** The `pattern` of a 24-hour date-time text field (a space or a `T` between date and time). */
export const LOCAL_TEXT_PATTERN = "\\s*\\d{4}-\\d{1,2}-\\d{1,2}[T ]\\d{1,2}:\\d{2}\\s*";

/**
 * `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM` (24-hour, the centre's zone) as a Date; `null` for an empty
 * field, `"invalid"` for anything else (including impossible dates like 2024-02-30 or 24:00).
 */
export function parseLocalText(v: string): Date | null | "invalid" {
  const s = v.trim();
  if (!s) return null;
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})$/.exec(s);
  if (!m) return "invalid";
  const [y, mo, d, hh, mm] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (hh > 23 || mm > 59) return "invalid";
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return "invalid";
  return fromWall(y, mo, d, hh, mm);
}

