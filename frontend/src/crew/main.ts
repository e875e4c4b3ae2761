// Crew app composition: login gate (crew role only), then the unit's screen: current order (a
// call, with its destination hospital, or a move-up to another station), map, status buttons, GPS
// reports, offline outbox and the live crew socket (with polling as fallback). Served at /crew;
// installable (manifest + service worker in public/ and vite.config.ts).
import "./crew.css";

import * as api from "../shared/api";
import { byId } from "../shared/dom";
import { setTimeZone } from "../shared/format";
import { S, t } from "../shared/i18n";
import { langToggle } from "../shared/langtoggle";
import { mountLogin } from "../shared/panels/login";
import { openPasswordDialog } from "../shared/panels/password";
import { mountMessage, showError, showMessage } from "../shared/panels/message";
import { beep, unlockAudio } from "../shared/sound";
import type { CrewAssignment, LineString, LonLat, Session, Unit, UnitStatus } from "../shared/types";
import type { ConnectionState } from "../shared/socket";
import { Gps, type Fix, type GpsState } from "./gps";
import { currentLeg, distanceM, IN_QUARTERS_M, type HospitalRoute } from "./legs";
import { isLegal, onAssignment } from "./lifecycle";
import {
  chooseDestination,
  destinationOptions,
  hospitals,
  onMoveUp,
  roadRoute,
  stations,
  type CrewUnit,
  type DestinationOption,
  type Hospital,
  type Relocation,
} from "./orders";
import { CrewBlood } from "./blood";
import { CrewTriage } from "./mci";
import { Outbox, type OutboxItem } from "./outbox";
import { CrewSocket } from "./socket";
import { CrewView, type DestinationModel } from "./view";

api.useSessionStorage(localStorage, "gh.crew.session");

const POLL_MS = 10_000;
const POSITION_EVERY_MS = 5_000;
const CACHE_KEY = "gh.crew.cache";
/** While a destination is set: how often its ED status is read again, and its route recomputed. */
const HOSPITALS_EVERY_MS = 60_000;
const HOSPITAL_ROUTE_EVERY_MS = 60_000;
/** After a failed route request (offline), wait this long before asking again. */
const ROUTE_RETRY_MS = 5_000;
/** Statuses in which the crew may name the receiving hospital (the backend's rule). */
const MAY_CHOOSE_DESTINATION: ReadonlySet<UnitStatus> = new Set(["dispatched", "en_route", "on_scene", "transporting"]);

const loginRoot = byId("login");
const appRoot = byId("app");
mountMessage(document.body);
unlockAudio();

const login = mountLogin(byId("login-box"), (s) => start(s), {
  subtitle: S.crewSubtitle,
  testidPrefix: "crew-",
  accept: (s) => (s.role === "crew" && s.unit_id !== null ? null : S.crewOnlyForCrews),
});

/** What the app knows about its unit; persisted so a cold start without network shows the job. */
interface Known {
  unitId: number;
  unit: CrewUnit | null;
  assignment: CrewAssignment | null;
  /** When `assignment.eta_s` was computed (ms), for the ETA clock. */
  assignmentAt: number;
  /** Orders acknowledged on this device (the server's answer may still be queued). */
  acked: Record<number, string | null>;
  /** The unit's move-up order, if its current order is one; when it arrived (ms). */
  relocation: Relocation | null;
  relocationAt: number;
  /** Hospitals (name, ED status, beds) for the destination block and the map. */
  hospitals: Hospital[];
  /** The road route to the destination hospital, fetched once transporting. */
  hospitalRoute: HospitalRoute | null;
}

function loadKnown(unitId: number): Known {
  const fresh: Known = {
    unitId,
    unit: null,
    assignment: null,
    assignmentAt: Date.now(),
    acked: {},
    relocation: null,
    relocationAt: Date.now(),
    hospitals: [],
    hospitalRoute: null,
  };
  try {
    const k = JSON.parse(localStorage.getItem(CACHE_KEY) ?? "null") as Partial<Known> | null;
    if (k && k.unitId === unitId) return { ...fresh, ...k, acked: k.acked ?? {} };
  } catch {
    /* ignore */
  }
  return fresh;
}

class CrewApp {
  private known: Known;
  private conn: ConnectionState = "reconnecting";
  private netUp = navigator.onLine;
  private readonly view: CrewView;
  private readonly outbox: Outbox;
  private readonly triage: CrewTriage;
  private readonly blood: CrewBlood;
  private readonly socket: CrewSocket;
  private readonly gps: Gps;
  private pollTimer: number | undefined;
  private tickTimer: number | undefined;
  private posTimer: number | undefined;
  private lastPosSent = 0;
  private manualSeq: number | null = null;
  private alertedOrder: string | null = null;
  private refreshing = false;
  private renderQueued = false;
  private wakeLock: { release(): Promise<void> } | null = null;
  /** The ranked hospitals list while the crew has it open (null: closed). */
  private options: DestinationOption[] | null = null;
  private hospitalsAt = 0;
  private routeAsked = 0;
  private routing = false;

  constructor(private session: Session) {
    const unitId = session.unit_id!;
    this.known = loadKnown(unitId);
    this.view = new CrewView(appRoot, {
      status: (s) => this.pressStatus(s),
      ack: () => this.acknowledge(),
      ackRelocation: () => this.acknowledgeRelocation(),
      toggleDestinations: () => void this.toggleDestinations(),
      pickDestination: (id) => void this.pickDestination(id),
      reportPosition: () => void this.reportNow(),
      changePassword: () => openPasswordDialog(this.session.username, "crew-"),
      logout: () => this.logout(),
    });
    this.triage = new CrewTriage(unitId, () => this.known.unit?.call_sign ?? null);
    this.view.mciSlot.append(this.triage.root);
    // Blood deliveries (issue 19): shown only while the unit carries delivery jobs.
    this.blood = new CrewBlood(unitId, (id) => this.known.hospitals.find((x) => x.id === id)?.name ?? null);
    this.view.mciSlot.append(this.blood.root);
    this.outbox = new Outbox(unitId, {
      unit: (u, item) => {
        this.acceptUnit(u);
        if (item.kind === "position" && item.seq === this.manualSeq) {
          this.manualSeq = null;
          showMessage(S.positionSent, "info");
        }
      },
      acked: (r) => this.noteAcked(r.order_id, r.acknowledged_at),
      refused: (item, err) => this.refused(item, err),
      network: (up) => this.setNet(up),
      unauthorized: () => this.expired(),
    });
    this.outbox.onChange(() => this.render());
    this.socket = new CrewSocket({
      state: (s) => {
        this.conn = s;
        if (s === "connected") {
          this.setNet(true);
          this.outbox.resume();
        }
        this.render();
      },
      rejected: async () => {
        try {
          await api.me();
          return false; // token fine: the endpoint is missing or refusing; keep polling, retry later
        } catch (e) {
          if (e instanceof api.ApiError && e.status === 401) {
            this.expired();
            return true;
          }
          return false;
        }
      },
      snapshot: (msg) => {
        this.acceptUnit(msg.unit);
        this.setAssignment(msg.assignment);
        this.setRelocation(msg.relocation ?? null);
      },
      relocation: (msg) => {
        if (msg.unit) this.acceptUnit(msg.unit);
        const { order_id, acknowledged_at, station, route, eta_s, distance_m, steps } = msg;
        this.setRelocation({ order_id, acknowledged_at, station, route, eta_s, distance_m, steps });
        // Resent until the server hears our ack: if we already acked it, say so again; if nobody
        // has, call the crew again.
        if (order_id in this.known.acked) this.socket.ack(order_id);
        else if (msg.resent && this.known.relocation && !this.relocationAcknowledged(this.known.relocation)) {
          beep([[988, 200], [784, 200]]);
          navigator.vibrate?.([300, 120, 300]);
        }
      },
      order: (msg) => {
        const cur = this.known.assignment;
        if (msg.unit) this.acceptUnit(msg.unit);
        const unit = this.known.unit;
        const sameIncident = cur?.incident.id === msg.incident.id;
        this.setAssignment(
          {
            incident: msg.incident,
            unit: unit ?? cur?.unit ?? ({} as Unit),
            route: msg.route ?? (sameIncident ? cur!.route : null),
            eta_s: msg.eta_s,
            order_id: msg.order_id,
            steps: msg.steps ?? (sameIncident ? cur!.steps : []),
            acknowledged_at: msg.acknowledged_at ?? (cur?.order_id === msg.order_id ? cur.acknowledged_at ?? null : null),
          },
          false,
        );
        // The order does not carry the unit: fetch it if ours does not know this incident yet.
        if (!unit || unit.incident_id !== msg.incident.id) void this.refresh();
        // The server resends an order until it hears our ack: if we already acked it, say so again;
        // if nobody has, call the crew again.
        if (msg.order_id in this.known.acked) this.socket.ack(msg.order_id);
        else if (msg.resent && this.known.assignment && !this.orderAcknowledged(this.known.assignment)) {
          beep([[988, 200], [784, 200]]);
          navigator.vibrate?.([300, 120, 300]);
        }
      },
      event: (msg) => {
        this.triage.event(msg.name);
        this.blood.event(msg.name);
        const u = msg.data.unit;
        if (u && u.id === this.known.unitId) {
          const before = this.known.unit?.incident_id ?? null;
          this.acceptUnit(u);
          if (u.incident_id !== before || (u.incident_id !== null && this.known.assignment?.incident.id !== u.incident_id)) {
            void this.refresh();
          }
        }
        const inc = msg.data.incident;
        const a = this.known.assignment;
        if (inc && a && inc.id === a.incident.id) {
          a.incident = inc;
          this.save();
          this.render();
        }
        const orderId = msg.data["order_id"];
        if (msg.name === "OrderAcknowledged" && typeof orderId === "number") {
          const at = typeof msg.data["acknowledged_at"] === "string" ? (msg.data["acknowledged_at"] as string) : msg.occurred_at;
          this.noteAcked(orderId, u?.acknowledged_at ?? at);
        }
      },
      acked: (orderId, at) => this.noteAcked(orderId, at),
    });
    this.gps = new Gps(
      (fix) => this.onFix(fix),
      (s: GpsState) => {
        this.view.setGps(s, this.gps.last);
        this.render();
      },
    );
  }

  /** The centre's time zone (``/config``): the crew's clocks match the console's, not the phone's. */
  private loadTimeZone(attempt = 0): void {
    api
      .config()
      .then((c) => {
        if (setTimeZone(c.time_zone)) this.render();
      })
      .catch(() => {
        if (app === this && api.loadSession()) window.setTimeout(() => this.loadTimeZone(attempt + 1), Math.min(30_000, 2000 * 2 ** attempt));
      });
  }

  start(): void {
    this.view.setUnitLabel(this.session.username, this.known.unit?.call_sign ?? null);
    this.view.loadMap();
    this.render();
    this.socket.start();
    this.gps.start();
    this.loadTimeZone();
    this.outbox.resume();
    this.triage.resume();
    this.blood.start();
    void this.refresh();
    this.pollTimer = window.setInterval(() => {
      // The socket pushes changes; poll only while it is down (or the server has none).
      if (this.conn !== "connected") void this.refresh();
    }, POLL_MS);
    this.tickTimer = window.setInterval(() => {
      this.view.tick(this.gps.last);
      if (this.destinationId() !== null && Date.now() - this.hospitalsAt > HOSPITALS_EVERY_MS) void this.loadHospitals();
      void this.ensureHospitalRoute(this.effectiveStatus()); // retries, and the route every minute
    }, 1000);
    if (this.known.hospitals.length) this.view.setHospitals(this.known.hospitals);
    void this.loadHospitals();
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    document.addEventListener("visibilitychange", this.onVisible);
  }

  stop(): void {
    window.clearInterval(this.pollTimer);
    window.clearInterval(this.tickTimer);
    window.clearTimeout(this.posTimer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    document.removeEventListener("visibilitychange", this.onVisible);
    this.socket.stop();
    this.gps.stop();
    this.outbox.pause();
    this.triage.stop();
    this.blood.stop();
    void this.wakeLock?.release().catch(() => undefined);
    this.wakeLock = null;
  }

  private readonly onOnline = () => {
    this.setNet(true);
    this.outbox.resume();
    this.socket.retryNow();
    void this.refresh();
  };
  private readonly onOffline = () => this.setNet(false);
  private readonly onVisible = () => {
    if (document.visibilityState !== "visible") return;
    void this.refresh();
    this.outbox.resume();
    this.socket.retryNow();
    void this.keepAwake();
  };

  // ---- state ----

  /** The status the crew sees: the server's, then every status change still queued. */
  private effectiveStatus(): UnitStatus | null {
    let s = this.known.unit?.status ?? null;
    for (const it of this.outbox.pending) if (it.kind === "status" && it.unitId === this.known.unitId) s = it.status;
    return s;
  }

  private acceptUnit(u: CrewUnit): void {
    if (u.id !== this.known.unitId) return;
    const cur = this.known.unit;
    const destinationBefore = this.destinationId();
    // An answer that started before a newer one must not roll the status back.
    if (cur?.status_at && u.status_at && Date.parse(u.status_at) < Date.parse(cur.status_at)) {
      this.known.unit = { ...cur, position: u.position ?? cur.position, position_at: u.position_at ?? cur.position_at };
    } else {
      this.known.unit = u;
    }
    if (this.known.unit.incident_id === null && this.known.assignment && !onAssignment(this.known.unit.status)) {
      this.known.assignment = null;
    }
    const r = this.known.relocation;
    if (r && (!onMoveUp(this.known.unit) || this.known.unit.order_id !== r.order_id)) this.known.relocation = null;
    if (this.destinationId() !== destinationBefore) {
      this.options = null;
      this.routeAsked = 0; // a new hospital: its route now, not after the retry delay
      if (this.destinationId() !== null) void this.loadHospitals();
    }
    this.view.setUnitLabel(this.session.username, this.known.unit.call_sign);
    this.save();
    this.render();
  }

  private setAssignment(a: CrewAssignment | null, withUnit = true): void {
    const prev = this.known.assignment;
    if (a && withUnit && a.unit) this.acceptUnit(a.unit);
    this.known.assignment = a;
    // The ETA counts down from when it was computed: a resent order repeats the first one's ETA,
    // so only a new order or a fresh route (another ETA) restarts the clock.
    if (!a || !prev || prev.order_id !== a.order_id || prev.eta_s !== a.eta_s) this.known.assignmentAt = Date.now();
    if (a && (!prev || prev.incident.id !== a.incident.id || prev.order_id !== a.order_id)) this.newOrderArrived(a);
    this.save();
    this.render();
    void this.keepAwake();
  }

  /** A move-up order from the server (null: the unit has none). A new one calls the crew. */
  private setRelocation(r: Relocation | null): void {
    const prev = this.known.relocation;
    this.known.relocation = r;
    // As for dispatch orders: a resend repeats the first ETA; a new order or route restarts it.
    if (r && (prev?.order_id !== r.order_id || prev.eta_s !== r.eta_s)) this.known.relocationAt = Date.now();
    if (r && prev?.order_id !== r.order_id) {
      if (!this.relocationAcknowledged(r) && this.alertedOrder !== `relocation:${r.order_id}`) {
        this.alertedOrder = `relocation:${r.order_id}`;
        beep([
          [988, 220],
          [784, 220],
          [988, 220],
        ]);
        navigator.vibrate?.([300, 120, 300, 120, 300]);
      }
    }
    this.save();
    this.render();
    void this.keepAwake();
  }

  /** The move-up order to show: the unit's current one, until confirmed and in quarters. */
  private shownRelocation(): Relocation | null {
    const r = this.known.relocation;
    const u = this.known.unit;
    if (!r || !u || !onMoveUp(u) || u.order_id !== r.order_id) return null;
    // Confirmed and arrived (by the server's word, or by our own GPS before it tells us): done.
    const here = this.gps.last?.position ?? null;
    const arrived = u.in_quarters || (here !== null && distanceM(here, r.station.location) <= IN_QUARTERS_M);
    if (this.relocationAcknowledged(r) && arrived) return null;
    return r;
  }

  private relocationAcknowledged(r: Relocation): boolean {
    if (r.acknowledged_at || r.order_id in this.known.acked) return true;
    const u = this.known.unit;
    if (u && u.order_id === r.order_id && u.acknowledged_at) return true;
    return this.outbox.pending.some((i) => i.kind === "ack" && i.orderId === r.order_id);
  }

  /** The server (or the outbox) confirmed an acknowledgement. */
  private noteAcked(orderId: number, at: string | null): void {
    this.known.acked[orderId] = at;
    const a = this.known.assignment;
    if (a && a.order_id === orderId) a.acknowledged_at = at;
    const r = this.known.relocation;
    if (r && r.order_id === orderId) r.acknowledged_at = at;
    this.save();
    this.render();
  }

  private destinationId(): number | null {
    return this.known.unit?.destination_hospital_id ?? null;
  }

  private orderAcknowledged(a: CrewAssignment): boolean {
    if (a.order_id === undefined || a.order_id === null) return true; // backend without orders: nothing to ack
    if (a.acknowledged_at) return true;
    if (a.order_id in this.known.acked) return true;
    return this.outbox.pending.some((i) => i.kind === "ack" && i.orderId === a.order_id);
  }

  private newOrderArrived(a: CrewAssignment): void {
    const key = `${a.incident.id}:${a.order_id ?? ""}`;
    if (this.alertedOrder === key || (a.order_id != null && this.orderAcknowledged(a))) return;
    if (this.known.unit && this.known.unit.status !== "dispatched") return; // an order already under way
    this.alertedOrder = key;
    beep([
      [988, 220],
      [784, 220],
      [988, 220],
    ]);
    navigator.vibrate?.([300, 120, 300, 120, 300]);
  }

  private save(): void {
    try {
      localStorage.setItem(CACHE_KEY, JSON.stringify(this.known));
    } catch {
      /* quota */
    }
  }

  private setNet(up: boolean): void {
    if (this.netUp === up) return;
    this.netUp = up;
    this.render();
  }

  // ---- server ----

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      try {
        const a = await api.unitAssignment(this.known.unitId);
        this.setNet(true);
        this.setAssignment(a);
      } catch (e) {
        if (!(e instanceof api.ApiError)) throw e;
        if (e.status === 404) {
          this.setNet(true);
          if (this.known.assignment) this.setAssignment(null);
          const me = (await api.units()).find((u) => u.id === this.known.unitId);
          if (me) {
            this.acceptUnit(me);
            await this.relocationFromUnit(me);
          }
        } else if (e.status === 0) {
          this.setNet(false);
        }
      }
      this.view.synced(new Date());
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 0) this.setNet(false);
    } finally {
      this.refreshing = false;
      this.render();
    }
  }

  /**
   * Without the socket (polling), a move-up order is known from the unit itself (an order with no
   * incident): its station and a route are fetched here. The socket brings the same, and resends.
   */
  private async relocationFromUnit(u: CrewUnit): Promise<void> {
    if (!onMoveUp(u) || u.order_id == null || this.known.relocation?.order_id === u.order_id) return;
    const station = (await stations()).find((s) => s.id === u.station_id);
    if (!station) return;
    let route: LineString | null = null;
    let eta: number | null = null;
    const from = this.gps.last?.position ?? u.position;
    if (from) {
      try {
        const r = await roadRoute(from, station.location);
        route = r.route as LineString;
        eta = r.eta_s;
      } catch {
        /* no route (off the road network): the station is still shown */
      }
    }
    this.setRelocation({ order_id: u.order_id, acknowledged_at: u.acknowledged_at ?? null, station, route, eta_s: eta, steps: [] });
  }

  private async loadHospitals(): Promise<void> {
    this.hospitalsAt = Date.now();
    try {
      this.known.hospitals = await hospitals();
    } catch {
      return; // offline: the cached list stays
    }
    this.view.setHospitals(this.known.hospitals);
    this.blood.redraw();
    this.save();
    this.render();
  }

  /**
   * While transporting, the route leads to the destination hospital: asked from the server
   * (GET /route) from where the unit is, when the destination is set or changes, and again every
   * minute (the crew may have taken another way).
   */
  private async ensureHospitalRoute(status: UnitStatus | null): Promise<void> {
    const id = this.destinationId();
    if (status !== "transporting" || id === null || this.routing) return;
    const cur = this.known.hospitalRoute;
    if (cur && cur.hospitalId === id && Date.now() - cur.at < HOSPITAL_ROUTE_EVERY_MS) return;
    if (Date.now() - this.routeAsked < ROUTE_RETRY_MS) return; // the clock tick asks again later
    const hospital = this.known.hospitals.find((x) => x.id === id);
    if (!hospital) {
      if (Date.now() - this.hospitalsAt > ROUTE_RETRY_MS) void this.loadHospitals();
      return;
    }
    const target: LonLat = [hospital.location[0], hospital.location[1]];
    const from = this.gps.last?.position ?? this.known.unit?.position ?? null;
    this.routing = true;
    this.routeAsked = Date.now();
    try {
      let route: LineString | null = null;
      let eta: number | null = null;
      if (from) {
        const r = await roadRoute(from, target);
        route = r.route as LineString;
        eta = r.eta_s;
      }
      if (this.destinationId() === id) {
        this.known.hospitalRoute = { hospitalId: id, target, route, eta_s: eta, at: Date.now() };
        this.save();
      }
    } catch (e) {
      // Offline or off the road network: keep the last route (if it was to this hospital), retry.
      if (!(e instanceof api.ApiError) || e.status !== 0) {
        if (!cur || cur.hospitalId !== id) this.known.hospitalRoute = { hospitalId: id, target, route: null, eta_s: null, at: Date.now() };
      }
    } finally {
      this.routing = false;
      this.render();
    }
  }

  private async toggleDestinations(): Promise<void> {
    const a = this.known.assignment;
    if (this.options !== null || !a) {
      this.options = null;
      this.render();
      return;
    }
    try {
      this.options = (await destinationOptions(a.incident.id)).options;
    } catch (e) {
      showError(e);
      return;
    }
    this.render();
  }

  private async pickDestination(hospitalId: number): Promise<void> {
    navigator.vibrate?.(40);
    try {
      const unit = await chooseDestination(this.known.unitId, hospitalId);
      this.options = null;
      this.acceptUnit(unit);
      const name = this.known.hospitals.find((x) => x.id === hospitalId)?.name ?? `#${hospitalId}`;
      showMessage(t("crewDestinationSet", { name }), "info");
    } catch (e) {
      showError(e);
    }
    this.render();
  }

  private refused(item: OutboxItem, err: api.ApiError): void {
    if (item.kind === "status") showMessage(t("statusRejected", { detail: err.message }), "error");
    void this.refresh();
  }

  private expired(): void {
    if (app !== this || !api.loadSession()) return; // already back at the login (or its password form)
    showMessage(S.sessionExpired, "error");
    logout(false);
  }

  // ---- actions ----

  private pressStatus(status: UnitStatus): void {
    const from = this.effectiveStatus();
    if (!isLegal(from, status)) return;
    navigator.vibrate?.(40);
    const a = this.known.assignment;
    // Moving off "dispatched" means the crew has the order: acknowledge it first if nobody did.
    if (a && a.order_id != null && !this.orderAcknowledged(a)) this.queueAck(a.order_id);
    this.outbox.push({ kind: "status", unitId: this.known.unitId, status });
    if (!onAssignment(status) && this.known.assignment) {
      // Back in service (or out of it): the job is done on this device.
      this.known.assignment = null;
      this.save();
    }
    this.render();
  }

  private acknowledge(): void {
    const a = this.known.assignment;
    if (!a || a.order_id == null) return;
    navigator.vibrate?.(40);
    this.queueAck(a.order_id);
    this.render();
  }

  private acknowledgeRelocation(): void {
    const r = this.shownRelocation();
    if (!r) return;
    navigator.vibrate?.(40);
    this.queueAck(r.order_id);
    this.render();
  }

  private queueAck(orderId: number): void {
    this.outbox.push({ kind: "ack", unitId: this.known.unitId, orderId });
    this.socket.ack(orderId); // same effect as REST; harmless twice
  }

  private onFix(_fix: Fix): void {
    this.view.setGps(this.gps.state, this.gps.last);
    const wait = this.lastPosSent + POSITION_EVERY_MS - Date.now();
    if (wait <= 0) this.sendPosition();
    else if (this.posTimer === undefined) {
      this.posTimer = window.setTimeout(() => {
        this.posTimer = undefined;
        this.sendPosition();
      }, wait);
    }
    this.render();
  }

  private sendPosition(): OutboxItem | null {
    const fix = this.gps.last;
    if (!fix) return null;
    this.lastPosSent = Date.now();
    return this.outbox.push({
      kind: "position",
      unitId: this.known.unitId,
      position: fix.position,
      reportedAt: new Date(fix.at).toISOString(),
      accuracy: fix.accuracy,
    });
  }

  private async reportNow(): Promise<void> {
    try {
      await this.gps.current();
    } catch {
      /* fall back to the last fix */
    }
    window.clearTimeout(this.posTimer);
    this.posTimer = undefined;
    const item = this.sendPosition();
    if (item) this.manualSeq = item.seq;
    this.render();
  }

  private async keepAwake(): Promise<void> {
    const want = (this.known.assignment !== null || this.shownRelocation() !== null) && document.visibilityState === "visible";
    const wl = (navigator as Navigator & { wakeLock?: { request(type: "screen"): Promise<{ release(): Promise<void> }> } }).wakeLock;
    if (!wl) return;
    try {
      if (want && !this.wakeLock) this.wakeLock = await wl.request("screen");
      else if (!want && this.wakeLock) {
        await this.wakeLock.release();
        this.wakeLock = null;
      }
    } catch {
      this.wakeLock = null;
    }
  }

  logout(): void {
    logout(true);
  }

  // ---- view ----

  render(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    const run = () => {
      if (!this.renderQueued) return;
      this.renderQueued = false;
      this.draw();
    };
    requestAnimationFrame(run);
    window.setTimeout(run, 200);
  }

  private draw(): void {
    const status = this.effectiveStatus();
    const a = this.known.assignment && onAssignment(status) ? this.known.assignment : null;
    const queuedStatus = this.outbox.pending.some((i) => i.kind === "status");
    const relocation = a ? null : this.shownRelocation();
    const destinationId = this.destinationId();
    void this.ensureHospitalRoute(status);
    this.triage.setIncident(a?.incident.id ?? null);
    const destination: DestinationModel = {
      hospitalId: destinationId,
      hospital: this.known.hospitals.find((x) => x.id === destinationId) ?? null,
      canChoose: a !== null && status !== null && MAY_CHOOSE_DESTINATION.has(status),
      options: this.options,
    };
    this.view.render({
      unit: this.known.unit,
      status,
      statusPending: queuedStatus,
      assignment: a,
      assignmentAt: this.known.assignmentAt,
      acknowledged: a ? this.orderAcknowledged(a) : true,
      ackedAt: a?.acknowledged_at ?? (a?.order_id != null ? this.known.acked[a.order_id] ?? null : null),
      destination,
      relocation,
      relocationAcknowledged: relocation ? this.relocationAcknowledged(relocation) : true,
      relocationAckedAt: relocation ? relocation.acknowledged_at ?? this.known.acked[relocation.order_id] ?? null : null,
      leg: currentLeg({
        status,
        assignment: a,
        assignmentAt: this.known.assignmentAt,
        destinationId,
        hospitalRoute: this.known.hospitalRoute,
        relocation,
        relocationAt: this.known.relocationAt,
      }),
      conn: this.conn,
      online: this.netUp && navigator.onLine,
      queued: this.outbox.size,
      sending: this.outbox.sending,
      gps: this.gps.state,
      fix: this.gps.last,
    });
  }
}

let app: CrewApp | null = null;

function showLogin(): void {
  appRoot.hidden = true;
  loginRoot.hidden = false;
  login.langSlot.append(langToggle());
  login.focus();
}

function start(session: Session): void {
  if (session.role !== "crew" || session.unit_id === null) {
    void api.logout();
    showMessage(S.crewOnlyForCrews, "error");
    showLogin();
    return;
  }
  loginRoot.hidden = true;
  appRoot.hidden = false;
  app?.stop();
  appRoot.replaceChildren();
  app = new CrewApp(session);
  app.start();
}

/**
 * Back to the login screen; `endSession`: also end it on the server (the crew's own logout). The
 * outbox stays in localStorage and is sent after the next sign-in (of the same unit's crew).
 */
function logout(endSession: boolean): void {
  app?.stop();
  app = null;
  appRoot.replaceChildren();
  if (endSession) void api.logout();
  else api.clearSession();
  showLogin();
}

// The server refused the session and it could not be renewed: sign in again; nothing queued is lost.
api.setUnauthorizedHandler(() => {
  if (!api.loadSession()) return;
  showMessage(S.sessionExpired, "error");
  logout(false);
});

// A reset password must be changed before anything else (the outbox waits meanwhile).
api.setPasswordChangeHandler(() => {
  const s = api.loadSession();
  if (!s) return;
  app?.stop();
  app = null;
  appRoot.replaceChildren();
  showLogin();
  login.requirePasswordChange({ ...s, must_change_password: true });
});

// Installable app: the service worker caches the shell (never the API) so the app opens offline.
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  navigator.serviceWorker.register("/crew-sw.js", { scope: "/crew" }).catch(() => undefined);
}

// A stored session survives a reload without network: the app starts on it, and renews it (or shows
// the login, keeping the outbox) once the server can be asked.
const existing = api.restoreSession();
if (existing && existing.role === "crew" && existing.unit_id !== null && existing.must_change_password) {
  showLogin();
  login.requirePasswordChange(existing);
} else if (existing && existing.role === "crew" && existing.unit_id !== null) {
  start(existing);
  api.me().catch(() => undefined);
} else {
  showLogin();
}
