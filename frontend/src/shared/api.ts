// REST client for /api/v1 (same origin). Every non-2xx answer becomes an ApiError carrying
// the RFC 9457 problem, so callers can show `detail` and branch on `code`.
import type {
  AckResult,
  AdviceDecision,
  Assignment,
  CrewAssignment,
  GeocodeCandidate,
  Incident,
  LonLat,
  MapInfo,
  NewIncident,
  Place,
  Problem,
  Recommendation,
  Session,
  Unit,
  ConsoleConfig,
  Coverage,
  Kpis,
  MoveUp,
  ReviewFilter,
  Timeline,
  Tracks,
  UnitStatus,
  AssignBody,
  CancelBody,
  DivertBody,
  NoteBody,
  PositionBody,
  ReassignBody,
  RelocateBody,
  StatusBody,
  AckBody,
  AdminUser,
  NewUserBody,
  PasswordChangeBody,
  PasswordResetBody,
  UserPatchBody,
} from "./types";
import { lang } from "./i18n";
import type { DeviceTime } from "./timeflags";

export const API_BASE = "/api/v1";

/**
 * The language problems come back in (their `title` and `detail`, shown as they are): the one
 * the screen speaks, not the browser's, so a dispatcher who chose 中文 on an English system
 * reads the server's refusals in Chinese too.
 */
const ACCEPT_LANGUAGE = lang === "zh" ? "zh-CN, zh;q=0.9, en;q=0.5" : "en, zh;q=0.5";

// The console keeps its session per tab (sessionStorage); the crew app, installed on a phone,
// keeps it across restarts (localStorage) under its own key, so that a crew that reloads while
// offline still has its refresh token when the network comes back. Chosen once at start-up.
let sessionStore: Storage = sessionStorage;
let TOKEN_KEY = "gh.session";
export function useSessionStorage(storage: Storage, key: string): void {
  sessionStore = storage;
  TOKEN_KEY = key;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problemText(problem, status));
  }
  get code(): string | undefined {
    return this.problem.code;
  }
}

function problemText(p: Problem, status: number): string {
  if (p.detail) return p.detail;
  if (p.errors && p.errors.length > 0) {
    return p.errors.map((e) => `${e.loc.filter((l) => l !== "body").join(".")}: ${e.msg}`).join("; ");
  }
  return p.title ?? `HTTP ${status}`;
}

// ---- session ----
// Access tokens are short (at most 15 minutes). The session renews itself before expiry (at 80 % of
// `expires_in`) with its single-use refresh token, and once more when the server answers 401 (an
// expired token, e.g. after a laptop slept), retrying the request. When the server refuses the
// renewal (logout elsewhere, deactivation, idle timeout) the app's unauthorized handler takes the
// user back to the login screen.

/** Renew when this share of the access token's lifetime has passed. */
const RENEW_AT = 0.8;
/** A socket about to open with less than this left renews first. */
const FRESH_ENOUGH_MS = 30_000;
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 60_000;

export function loadSession(): Session | null {
  const raw = sessionStore.getItem(TOKEN_KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    return typeof s.access_token === "string" ? s : null;
  } catch {
    return null;
  }
}

/** Store a session the server just answered (login, renewal), and plan its renewal. */
export function saveSession(s: Session): void {
  const stamped: Session = s.expires_in && !s.expires_at ? { ...s, expires_at: Date.now() + s.expires_in * 1000 } : s;
  sessionStore.setItem(TOKEN_KEY, JSON.stringify(stamped));
  planRenewal(stamped);
}

/** The stored session at page start (null: show the login), its renewal planned. */
export function restoreSession(): Session | null {
  const s = loadSession();
  planRenewal(s);
  return s;
}

export function clearSession(): void {
  sessionStore.removeItem(TOKEN_KEY);
  planRenewal(null);
}

export function token(): string | null {
  return loadSession()?.access_token ?? null;
}

/** Called when the server refuses our session for good (401 and no renewal): show the login screen. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

/** Called on 403 `password-change-required`: show the change-password form. */
let onPasswordChangeRequired: () => void = () => undefined;
export function setPasswordChangeHandler(fn: () => void): void {
  onPasswordChangeRequired = fn;
}

type Renewal = "renewed" | "refused" | "offline";
let renewTimer: number | undefined;
let renewing: Promise<Renewal> | null = null;
let retryMs = RETRY_MIN_MS;
let renewals = 0;

function planRenewal(s: Session | null): void {
  window.clearTimeout(renewTimer);
  renewTimer = undefined;
  if (!s?.refresh_token || !s.expires_in || !s.expires_at) return;
  const lifetime = s.expires_in * 1000;
  const due = s.expires_at - lifetime * (1 - RENEW_AT);
  renewTimer = window.setTimeout(() => void renewOnTime(s.access_token), Math.max(0, due - Date.now()));
}

async function renewOnTime(stale: string): Promise<void> {
  const result = await renew(stale);
  if (result !== "offline") {
    retryMs = RETRY_MIN_MS;
    return;
  }
  // No network (a crew in a tunnel): keep the session and try again; the server decides later.
  window.clearTimeout(renewTimer);
  renewTimer = window.setTimeout(() => void renewOnTime(stale), retryMs);
  retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
}

/**
 * Trade the refresh token for a new pair, once for all callers. `stale` is the access token the
 * caller found wanting: when the stored one is another, still fresh, token (renewed meanwhile by a
 * parallel call or another tab of the crew app, which shares its storage) that one is used.
 */
export function renew(stale: string | null): Promise<Renewal> {
  renewing ??= withRenewalLock(() => renewNow(stale)).finally(() => {
    renewing = null;
  });
  return renewing;
}

async function renewNow(stale: string | null): Promise<Renewal> {
  const s = loadSession();
  if (!s) return "refused";
  if (s.access_token !== stale && !expiresWithin(s, FRESH_ENOUGH_MS)) {
    planRenewal(s);
    return "renewed";
  }
  if (!s.refresh_token) {
    onUnauthorized();
    return "refused";
  }
  let res: Response;
  try {
    res = await fetch(`${API_BASE}/auth/refresh`, {
      method: "POST",
      headers: { Accept: "application/json, application/problem+json", "Accept-Language": ACCEPT_LANGUAGE, "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: s.refresh_token }),
      cache: "no-store",
    });
  } catch {
    return "offline";
  }
  if (res.ok) {
    const next = (await res.json()) as Session;
    saveSession({ ...next, expires_at: undefined } as Session);
    renewals += 1;
    document.documentElement.dataset["sessionRenewals"] = String(renewals);
    return "renewed";
  }
  if (res.status === 408 || res.status === 429 || res.status >= 500) return "offline";
  // 400/401/403: the session is over (revoked, idle, expired, deactivated). Back to the login.
  onUnauthorized();
  return "refused";
}

function expiresWithin(s: Session, ms: number): boolean {
  return s.expires_at !== undefined && s.expires_at - Date.now() < ms;
}

/** Renewals of several tabs sharing one storage (the crew app) take turns (Web Locks, where offered). */
async function withRenewalLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = "locks" in navigator ? navigator.locks : undefined;
  if (!locks) return fn();
  return locks.request(`gh-renew:${TOKEN_KEY}`, fn);
}

/** An access token good for a while (renewed first if it is about to expire), for a socket. */
export async function freshToken(): Promise<string | null> {
  const s = loadSession();
  if (s && expiresWithin(s, FRESH_ENOUGH_MS) && s.refresh_token) await renew(s.access_token);
  return token();
}

// ---- core request ----

function networkError(e: unknown): ApiError {
  return new ApiError(0, { title: "Network error", detail: e instanceof Error ? e.message : String(e) });
}

async function readProblem(res: Response): Promise<Problem> {
  let problem: Problem = { status: res.status, title: res.statusText };
  try {
    const parsed: unknown = await res.json();
    if (parsed && typeof parsed === "object") {
      problem = parsed as Problem;
      // FastAPI's default {"detail": [...]} validation shape, just in case.
      if (Array.isArray((parsed as { detail?: unknown }).detail)) {
        const arr = (parsed as { detail: { loc: (string | number)[]; msg: string }[] }).detail;
        problem = { status: res.status, title: "Validation error", errors: arr };
      }
    }
  } catch {
    /* not JSON */
  }
  return problem;
}

/**
 * One call with the session's token. A 401 renews the session once and retries; a renewal the
 * server refuses ends in the unauthorized handler, one it cannot be asked about (offline) in a
 * network error, so that queued work waits instead of being dropped.
 */
async function send(method: string, path: string, body: unknown, accept: string, auth: boolean): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept, "Accept-Language": ACCEPT_LANGUAGE };
  let payload: BodyInit | undefined;
  if (body instanceof URLSearchParams) {
    payload = body;
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  for (let attempt = 0; ; attempt++) {
    const tok = auth ? token() : null;
    if (tok) headers["Authorization"] = `Bearer ${tok}`;
    let res: Response;
    try {
      res = await fetch(API_BASE + path, { method, headers, body: payload ?? null, cache: "no-store" });
    } catch (e) {
      throw networkError(e);
    }
    if (res.ok) return res;
    const problem = await readProblem(res);
    // A wrong password (`bad-credentials`, e.g. the current one in a password change) is no reason
    // to renew; anything else 401 means the token or the session.
    if (res.status === 401 && tok && problem.code !== "bad-credentials") {
      if (attempt === 0) {
        const renewed = await renew(tok);
        if (renewed === "renewed") continue;
        if (renewed === "offline") throw networkError(new Error(problem.detail ?? "session renewal failed"));
      } else {
        onUnauthorized();
      }
    }
    if (res.status === 403 && problem.code === "password-change-required") onPasswordChangeRequired();
    throw new ApiError(res.status, problem);
  }
}

export async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
  const res = await send(method, path, body, "application/json, application/problem+json", auth);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

// ---- sign-in, sign-out, passwords ----

export function login(username: string, password: string): Promise<Session> {
  const form = new URLSearchParams({ username, password, grant_type: "password" });
  return request<Session>("POST", "/auth/token", form, false);
}

/**
 * End the session on the server (best effort: offline, the token simply expires) and here. `tok`:
 * a session that was never stored (a login the app refuses, e.g. a dispatcher in the crew app).
 */
export async function logout(tok: string | null = token()): Promise<void> {
  if (tok === token()) clearSession();
  if (!tok) return;
  try {
    await fetch(`${API_BASE}/auth/logout`, { method: "POST", headers: { Authorization: `Bearer ${tok}` }, cache: "no-store" });
  } catch {
    /* offline: the access token expires on its own, the refresh token with the idle timeout */
  }
}

export const changePassword = (currentPassword: string, newPassword: string) =>
  request<void>("POST", "/auth/password", { current_password: currentPassword, new_password: newPassword } satisfies PasswordChangeBody);

/**
 * The session after a password change, no longer flagged: renewed (so the token says so too), or,
 * if the server ended the session with the change, a new sign-in with the new password.
 */
export async function sessionAfterPasswordChange(username: string, newPassword: string): Promise<Session> {
  const s = loadSession();
  if (s?.refresh_token && (await renew(s.access_token)) === "renewed") {
    const renewed = loadSession();
    if (renewed) {
      const done = { ...renewed, must_change_password: false };
      saveSession(done);
      return done;
    }
  }
  const fresh = await login(username, newPassword);
  const done = { ...fresh, must_change_password: false };
  saveSession(done);
  return done;
}

// ---- endpoints ----

export const me = () => request<Omit<Session, "access_token" | "token_type">>("GET", "/auth/me");
export const mapInfo = () => request<MapInfo>("GET", "/map", undefined, false);
export const roadsUrl = () => new URL(`${API_BASE}/map/roads`, window.location.href).href;
export const advice = () => request<{ decisions: AdviceDecision[] }>("GET", "/advice");
export const hospitals = () => request<Place[]>("GET", "/hospitals");
export const stations = () => request<Place[]>("GET", "/stations");
export const units = () => request<Unit[]>("GET", "/units");
export const openIncidents = () => request<Incident[]>("GET", "/incidents?status=open");
export const createIncident = (body: NewIncident) => request<Incident>("POST", "/incidents", body);
export const recommendations = (incidentId: number, limit = 5) =>
  request<Recommendation[]>("GET", `/incidents/${incidentId}/recommendations?limit=${limit}`);
export const assign = (incidentId: number, unitId: number) =>
  request<Assignment>("POST", `/incidents/${incidentId}/assignments`, { unit_id: unitId } satisfies AssignBody);
export const unitAssignment = (unitId: number) => request<CrewAssignment>("GET", `/units/${unitId}/assignment`);

/** Idempotency keys for crew updates (docs/api.md: replays with an old client_seq are not applied again). */
export interface ClientStamp {
  client_id: string;
  client_seq: number;
}
export const setUnitStatus = (unitId: number, status: UnitStatus, stamp?: ClientStamp, time?: DeviceTime) =>
  request<Unit>("POST", `/units/${unitId}/status`, { status, ...stamp, ...time } satisfies StatusBody);
export const reportPosition = (unitId: number, position: LonLat, reportedAt: string | null, stamp?: ClientStamp) =>
  request<Unit>("POST", `/units/${unitId}/position`, {
    position,
    ...(reportedAt ? { reported_at: reportedAt } : {}),
    ...stamp,
  } satisfies PositionBody);
export const ackOrder = (unitId: number, orderId: number, time?: DeviceTime) =>
  request<AckResult>("POST", `/units/${unitId}/orders/${orderId}/ack`, time satisfies AckBody | undefined);
export const geocode = (q: string, limit = 5) =>
  request<GeocodeCandidate[]>("GET", `/geocode?q=${encodeURIComponent(q)}&limit=${limit}`);

// ---- issue 6: config, coverage, incident actions, review ----

export const config = () => request<ConsoleConfig>("GET", "/config");
export const coverage = (minutes: number[] = [8, 12]) =>
  request<Coverage>("GET", `/coverage?${minutes.map((m) => `minutes=${m}`).join("&")}`);
export const cancelIncident = (incidentId: number, reason: string) =>
  request<Incident>("POST", `/incidents/${incidentId}/cancel`, { reason } satisfies CancelBody);
export const addNote = (incidentId: number, text: string) =>
  request<{ incident_id: number; author: string; text: string }>("POST", `/incidents/${incidentId}/notes`, { text } satisfies NoteBody);
export const divert = (unitId: number, toIncidentId: number, reason: string) =>
  request<Assignment>("POST", `/units/${unitId}/divert`, { to_incident_id: toIncidentId, reason } satisfies DivertBody);
export const reassign = (incidentId: number, fromUnitId: number, toUnitId: number, reason: string) =>
  request<Assignment>("POST", `/incidents/${incidentId}/reassign`, { from_unit_id: fromUnitId, to_unit_id: toUnitId, reason } satisfies ReassignBody);
export const moveups = () => request<{ moves: MoveUp[] }>("GET", "/moveups");
export const relocate = (unitId: number, stationId: number) =>
  request<Unit>("POST", `/units/${unitId}/relocate`, { station_id: stationId } satisfies RelocateBody);
export const timeline = (incidentId: number) => request<Timeline>("GET", `/incidents/${incidentId}/timeline`);
export const tracks = (incidentId: number) => request<Tracks>("GET", `/incidents/${incidentId}/tracks`);

/** Query string of a review filter (repeated `priority` / `status` parameters). */
export function reviewQuery(f: ReviewFilter, kind: "search" | "kpis" | "csv"): string {
  const q = new URLSearchParams();
  if (f.from) q.set("from", f.from);
  if (f.to) q.set("to", f.to);
  if (f.bbox) q.set("bbox", f.bbox.map((v) => v.toFixed(6)).join(","));
  if (kind !== "kpis") {
    for (const p of f.priorities ?? []) q.append("priority", String(p));
    for (const s of f.statuses ?? []) q.append("status", s);
  }
  if (kind === "kpis" && f.area) q.set("area", f.area);
  if (kind === "search" && f.limit) q.set("limit", String(f.limit));
  const text = q.toString();
  return text ? `?${text}` : "";
}

export const reviewIncidents = (f: ReviewFilter) => request<Incident[]>("GET", `/review/incidents${reviewQuery(f, "search")}`);
export const reviewKpis = (f: ReviewFilter) => request<Kpis>("GET", `/review/kpis${reviewQuery(f, "kpis")}`);

/** The CSV export as a Blob (fetched with the bearer token, so it cannot be a plain link). */
export async function reviewCsv(f: ReviewFilter): Promise<Blob> {
  const res = await send("GET", `/review/incidents.csv${reviewQuery(f, "csv")}`, undefined, "text/csv, application/problem+json", true);
  return res.blob();
}

/** The daily syndrome counts (day,syndrome,area,calls; local days, both included) as a CSV Blob. */
export async function surveillanceCountsCsv(from: string, to: string): Promise<Blob> {
  const q = new URLSearchParams({ from, to, format: "csv" });
  const res = await send("GET", `/surveillance/counts?${q.toString()}`, undefined, "text/csv, application/problem+json", true);
  return res.blob();
}

/** The NEMSIS v3.5.1 XML export of incidents received in [from, to) as a ZIP Blob (review/nemsis.ts). */
export async function reviewNemsis(from: string, to: string): Promise<Blob> {
  const q = new URLSearchParams({ from, to });
  const res = await send("GET", `/review/nemsis?${q.toString()}`, undefined, "application/zip, application/problem+json", true);
  return res.blob();
}

// ---- admin (GET/POST/PATCH /admin/users): accounts only, never incident data ----

const userPath = (username: string) => `/admin/users/${encodeURIComponent(username)}`;
export const adminUsers = () => request<AdminUser[]>("GET", "/admin/users");
export const createUser = (body: NewUserBody) => request<AdminUser>("POST", "/admin/users", body);
export const updateUser = (username: string, patch: UserPatchBody) => request<AdminUser>("PATCH", userPath(username), patch);
export const resetPassword = (username: string, password: string) =>
  request<void>("POST", `${userPath(username)}/password`, { password } satisfies PasswordResetBody);
export const unlockUser = (username: string) => request<AdminUser | undefined>("POST", `${userPath(username)}/unlock`);

// ---- sockets: same origin; the token goes in Sec-WebSocket-Protocol (shared/socket.ts), never in the URL ----

function socketUrl(path: string, params?: URLSearchParams): string {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  const query = params && params.toString() ? `?${params.toString()}` : "";
  return `${proto}//${window.location.host}${path}${query}`;
}

/** URL of the console WebSocket on the same origin (`since`: resume after that event). */
export function consoleSocketUrl(since: number | null): string {
  return socketUrl("/ws/console", since !== null ? new URLSearchParams({ since: String(since) }) : undefined);
}

/** URL of the crew WebSocket on the same origin. */
export function crewSocketUrl(): string {
  return socketUrl("/ws/crew");
}
