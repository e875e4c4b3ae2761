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
} from "./types";

export const API_BASE = "/api/v1";

// The console keeps its session per tab (sessionStorage); the crew app, installed on a phone,
// keeps it across restarts (localStorage) under its own key. Chosen once at start-up.
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

export function saveSession(s: Session): void {
  sessionStore.setItem(TOKEN_KEY, JSON.stringify(s));
}

export function clearSession(): void {
  sessionStore.removeItem(TOKEN_KEY);
}

export function token(): string | null {
  return loadSession()?.access_token ?? null;
}

/** Called when the server rejects our token (401), e.g. to show the login screen. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

// ---- core request ----

async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  let payload: BodyInit | undefined;
  if (body instanceof URLSearchParams) {
    payload = body;
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const tok = auth ? token() : null;
  if (tok) headers["Authorization"] = `Bearer ${tok}`;

  let res: Response;
  try {
    res = await fetch(API_BASE + path, { method, headers, body: payload ?? null, cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, { title: "Network error", detail: e instanceof Error ? e.message : String(e) });
  }
  if (!res.ok) {
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
    if (res.status === 401 && auth && tok) onUnauthorized();
    throw new ApiError(res.status, problem);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

// ---- endpoints ----

export function login(username: string, password: string): Promise<Session> {
  const form = new URLSearchParams({ username, password, grant_type: "password" });
  return request<Session>("POST", "/auth/token", form, false);
}

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
export const setUnitStatus = (unitId: number, status: UnitStatus, stamp?: ClientStamp) =>
  request<Unit>("POST", `/units/${unitId}/status`, { status, ...stamp } satisfies StatusBody);
export const reportPosition = (unitId: number, position: LonLat, reportedAt: string | null, stamp?: ClientStamp) =>
  request<Unit>("POST", `/units/${unitId}/position`, {
    position,
    ...(reportedAt ? { reported_at: reportedAt } : {}),
    ...stamp,
  } satisfies PositionBody);
export const ackOrder = (unitId: number, orderId: number) =>
  request<AckResult>("POST", `/units/${unitId}/orders/${orderId}/ack`);
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
  const headers: Record<string, string> = { Accept: "text/csv, application/problem+json" };
  const tok = token();
  if (tok) headers["Authorization"] = `Bearer ${tok}`;
  let res: Response;
  try {
    res = await fetch(`${API_BASE}/review/incidents.csv${reviewQuery(f, "csv")}`, { headers, cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, { title: "Network error", detail: e instanceof Error ? e.message : String(e) });
  }
  if (!res.ok) {
    let problem: Problem = { status: res.status, title: res.statusText };
    try {
      problem = (await res.json()) as Problem;
    } catch {
      /* not JSON */
    }
    if (res.status === 401 && tok) onUnauthorized();
    throw new ApiError(res.status, problem);
  }
  return res.blob();
}

function socketUrl(path: string, params: URLSearchParams): string {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${window.location.host}${path}?${params.toString()}`;
}

/** URL of the console WebSocket on the same origin. */
export function consoleSocketUrl(since: number | null): string {
  const params = new URLSearchParams({ token: token() ?? "" });
  if (since !== null) params.set("since", String(since));
  return socketUrl("/ws/console", params);
}

/** URL of the crew WebSocket on the same origin. */
export function crewSocketUrl(): string {
  return socketUrl("/ws/crew", new URLSearchParams({ token: token() ?? "" }));
}
