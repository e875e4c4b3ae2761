// Composition: login gate, then the console (header, panels, map, live socket).
import "../shared/styles.css";

import * as api from "../shared/api";
import { byId, h } from "../shared/dom";
import { S, t } from "../shared/i18n";
import { langToggle } from "../shared/langtoggle";
import { DispatchMap } from "./map";
import { mountP1Alert } from "./panels/alert";
import { mountHeader, type Header } from "./panels/header";
import { mountCoverage } from "./panels/coverage";
import { dialogOpen } from "./panels/dialog";
import { mountHelp } from "./panels/help";
import { mountIncidents } from "./panels/incidents";
import { mountLogin } from "../shared/panels/login";
import { openPasswordDialog } from "../shared/panels/password";
import { mountMessage, showError, showMessage } from "../shared/panels/message";
import { mountMoveUps, type MoveUps } from "./panels/moveups";
import { mountCallTaking } from "./panels/calltaking";
import { mountQueue } from "./panels/queue";
import { mountRecommendations } from "./panels/recommendations";
import { mountUnits } from "./panels/units";
import { mountHospitalBoard } from "./panels/hospitals";
import { mountDestinations } from "./panels/destinations";
import { mountMci } from "./panels/mci";
import { mountBlood } from "./panels/blood";
import { mountBloodLayer } from "./panels/blood-map";
import { mountBloodStock, type StockButton } from "./panels/blood-stock";
import { mountSignals, type SignalsPanel } from "./panels/signals";
import { installShortcuts } from "./shortcuts";
import { beep, isMuted, setMuted, unlockAudio } from "../shared/sound";
import { setTimeZone } from "../shared/format";
import { store } from "./state";
import type { Assignment, LonLat, Session, Unit } from "../shared/types";
import { ConsoleSocket } from "./socket";

const loginRoot = byId("login");
const consoleRoot = byId("console");

mountMessage(document.body);
unlockAudio();
const loginForm = mountLogin(byId("login-box"), (s) => startConsole(s));
const help = mountHelp(document.body);

interface Console {
  header: Header;
  map: DispatchMap;
  socket: ConsoleSocket;
  reloadRecs(): void;
  scheduleRecs(ms: number): void;
  moveups: MoveUps;
  signals: SignalsPanel;
  bloodStock: StockButton;
}
let ui: Console | null = null;

function showLogin(): void {
  help.close();
  consoleRoot.hidden = true;
  loginRoot.hidden = false;
  loginForm.langSlot.append(langToggle());
  document.title = S.appTitle;
  loginForm.focus();
}

/** Back to the login screen; `endSession`: also end it on the server (the logout button). */
function logout(endSession = true): void {
  ui?.socket.stop();
  if (endSession) void api.logout();
  else api.clearSession();
  store.clear();
  showLogin();
}

// The server refused the session (ended, expired, deactivated) and it could not be renewed.
api.setUnauthorizedHandler(() => {
  if (!api.loadSession()) return;
  logout(false);
  showMessage(S.sessionExpired, "error");
});

// Seeded and reset accounts change their password before anything else.
api.setPasswordChangeHandler(() => {
  const s = api.loadSession();
  if (!s) return;
  ui?.socket.stop();
  showLogin();
  loginForm.requirePasswordChange({ ...s, must_change_password: true });
});

function startConsole(session: Session): void {
  // The console's socket is the floor's only (dispatch/api/policy.py, WS /ws/console).
  if (session.role === "hospital") {
    // An ED's login belongs on the ED screen (its session is this tab's: no second sign-in).
    showMessage(S.hospitalLoop.goToEd, "info");
    window.location.assign("/hospital/");
    return;
  }
  if (session.role !== "dispatcher" && session.role !== "supervisor") {
    void api.logout();
    showMessage(S.crewNotAllowed, "error");
    showLogin();
    return;
  }
  loginRoot.hidden = true;
  consoleRoot.hidden = false;
  if (!ui) ui = buildConsole();
  ui.header.langSlot.append(langToggle());
  document.title = `${S.appTitle} · ${S.appSubtitle}`;
  ui.header.setUser(`${session.username} · ${S.roles[session.role] ?? session.role}`);
  ui.map.resize();
  ui.socket.start();
  ui.moveups.reload();
  ui.signals.reload(session.role === "supervisor");
  ui.bloodStock.setSupervisor(session.role === "supervisor");
  loadConfig();
}

/** Response targets and alert thresholds; retried until the server answers. */
function loadConfig(attempt = 0): void {
  api
    .config()
    .then((c) => {
      // Every time on screen in the centre's zone (shared/format.ts); rows drawn before the
      // zone was known are drawn again.
      const zoneChanged = setTimeZone(c.time_zone);
      store.setConfig(c);
      if (zoneChanged) store.notify("incidents");
    })
    .catch(() => {
      if (api.loadSession()) window.setTimeout(() => loadConfig(attempt + 1), Math.min(30_000, 2000 * 2 ** attempt));
    });
}

function buildConsole(): Console {
  const header = mountHeader(
    byId("header"),
    () => logout(),
    () => help.open(),
    () => openPasswordDialog(api.loadSession()?.username ?? ""),
  );
  const p1 = mountP1Alert(document.body, (id) => selectIncident(id));

  const map = new DispatchMap(byId("map"), {
    mapClick: (loc) => store.setCallLocation(loc),
    callPinMoved: (loc) => store.setCallLocation(loc),
    incidentClick: (id) => selectIncident(id),
    unitClick: (id) => focusUnit(id),
    loadError: (detail) => showMessage(`${S.mapLoadFailed}: ${detail}`, "error"),
  });

  const selectIncident = (id: number) => {
    store.select(id);
    const loc = store.incidents.get(id)?.location;
    if (loc) map.flyTo(loc, 13);
  };
  const focusUnit = (id: number) => {
    const u = store.units.get(id);
    if (u?.position) map.flyTo(u.position);
    const row = document.querySelector<HTMLElement>(`[data-testid="unit-row-${id}"]`);
    if (row) {
      row.scrollIntoView({ block: "nearest" });
      row.classList.remove("flash");
      void row.offsetWidth;
      row.classList.add("flash");
    }
  };

  const newCall = mountCallTaking(
    byId("panel-newcall"),
    map,
    {
      created: (incident) => {
        store.upsertIncident(incident);
        selectIncident(incident.id);
      },
      located: (loc: LonLat) => map.flyTo(loc, 15),
      linked: (incident) => {
        store.upsertIncident(incident);
        selectIncident(incident.id);
      },
    },
    () => !consoleRoot.hidden && !help.isOpen && !dialogOpen(),
  );
  const queue = mountQueue(byId("panel-queue"), selectIncident);
  const incidents = mountIncidents(byId("panel-incidents"), selectIncident);
  const recs = mountRecommendations(byId("panel-recs"), {
    assigned: (a: Assignment) => {
      store.upsertUnit(a.unit);
      store.upsertIncident(a.incident);
      store.setRoute(a.unit.id, a.incident.id, a.route);
    },
    preview: (route) => map.setPreview(route),
  });
  const mci = mountMci(byId("panel-mci"));
  // The Blood panel (issue 19): its own section above the units, shown while requests are open.
  const bloodRoot = h("section", { class: "panel blood-panel", "data-testid": "blood-panel" });
  byId("panel-units").before(bloodRoot);
  const bloodPanel = mountBlood(bloodRoot);
  const signals = mountSignals(byId("panel-signals"), map);
  const units = mountUnits(byId("panel-units"), focusUnit);
  const coverage = mountCoverage(byId("map-overlay"), map);
  mountBloodLayer(byId("map-overlay"), map, bloodPanel);
  const bloodStock = mountBloodStock(byId("map-overlay").querySelector<HTMLElement>(".map-tools") ?? byId("map-overlay"));
  const moveups = mountMoveUps(byId("panel-moveups"), (u) => store.upsertUnit(u));
  const hospitalBoard = mountHospitalBoard(byId("panel-hospitals"), () => store.serverNow());
  const destinationAdvice = mountDestinations(byId("panel-destinations"), hospitalBoard, () => !consoleRoot.hidden && !help.isOpen && !dialogOpen());

  // Map follows the store. Positions-only changes redraw the unit layer (one setData per frame)
  // and move the few HTML labels; the tables do not re-render for them.
  const flags = { isStale: (u: Unit) => store.isStale(u), isUnacked: (u: Unit) => store.isUnacked(u) };
  const emphasis = () => new Set(store.selectedIncidentId !== null ? (store.incidents.get(store.selectedIncidentId)?.unit_ids ?? []) : []);
  // Every unit layer update repaints the whole map canvas (costly without a GPU), so updates are
  // spaced: GPS-only changes at most every POSITIONS_MIN_MS (units report about once a second, so
  // nothing is lost), status changes at most every STATUS_MIN_MS; a selection draws at once. The
  // tables follow the store immediately.
  const POSITIONS_MIN_MS = 1000;
  const STATUS_MIN_MS = 300;
  let drawnAt = 0;
  let deferred: number | undefined;
  let dueAt = Infinity;
  let fullPending = false;
  const moved = new Set<number>();
  const drawUnits = () => {
    window.clearTimeout(deferred);
    deferred = undefined;
    dueAt = Infinity;
    drawnAt = performance.now();
    map.syncUnits(store.units.values(), flags, emphasis(), fullPending ? null : moved);
    if (store.routes.size > 0) map.setRoutes(store.routes.values(), store.units);
    fullPending = false;
    moved.clear();
  };
  const scheduleUnits = (minGapMs: number) => {
    const due = drawnAt + minGapMs;
    if (due <= performance.now()) return drawUnits();
    if (due >= dueAt) return;
    window.clearTimeout(deferred);
    dueAt = due;
    deferred = window.setTimeout(drawUnits, due - performance.now());
  };
  store.subscribe((changes) => {
    for (const id of store.moved) moved.add(id);
    if (changes.has("units") || changes.has("incidents") || changes.has("selection") || changes.has("config")) fullPending = true;
    if (changes.has("selection") || changes.has("config")) drawUnits();
    else if (changes.has("units") || changes.has("incidents")) scheduleUnits(STATUS_MIN_MS);
    else if (changes.has("positions")) scheduleUnits(POSITIONS_MIN_MS);
    if (changes.has("routes")) map.setRoutes(store.routes.values(), store.units);
    if (changes.has("incidents") || changes.has("selection")) map.syncIncidents(store.incidents.values(), store.selectedIncidentId);
    if (changes.has("callLocation")) map.setCallPin(store.callLocation);
  });

  // Routes of assigned units, and fresher recommendations when unit statuses change.
  const fetched = new Set<string>();
  store.subscribe(() => {
    if (store.statusChanged.size === 0) return;
    for (const id of store.statusChanged) {
      const u = store.units.get(id);
      if (u) syncRoute(u, fetched);
    }
    if (store.selectedIncidentId !== null) recs.scheduleReload(1500);
    coverage.unitsChanged();
    moveups.unitsChanged();
  });

  const socket = new ConsoleSocket({
    snapshot: (msg) => {
      store.setServerTime(msg.server_time);
      store.reset(msg.units, msg.incidents);
      newCall.lines.reload(); // phone lines are not in the snapshot: read them (events follow)
      store.flush();
      hospitalBoard.reload();
      destinationAdvice.reload();
      mci.reload();
      bloodPanel.reload();
    },
    event: (msg) => {
      const orderId = msg.data["order_id"];
      if ((msg.name === "UnitAssigned" || msg.name === "UnitRelocated") && typeof orderId === "number") store.orderTimes.set(orderId, Date.parse(msg.occurred_at));
      if (msg.data.unit) store.upsertUnit(msg.data.unit);
      if (msg.data.incident) store.upsertIncident(msg.data.incident);
      if (msg.name === "CallReceived" && msg.data.incident?.priority === 1) p1.show(msg.data.incident);
      recs.detail.event(msg);
      newCall.lines.event(msg.name, msg.data);
      hospitalBoard.event(msg);
      destinationAdvice.event(msg);
      mci.event(msg);
      bloodPanel.event(msg);
      signals.event(msg);
    },
    positions: (msg) => {
      // Telemetry outside the event stream: apply a position only if it is newer than the one shown
      // (store.applyPositions); the map redraws once per animation frame.
      store.setServerTime(msg.server_time);
      store.applyPositions(msg.units);
    },
    state: (s) => header.setConnection(s),
    closed: (code) => header.setLastClose(code),
    error: (detail) => showMessage(t("wsError", { detail }), "error"),
    resync: () => showMessage(S.resyncing, "info"),
    rejected: async () => {
      try {
        await api.me();
        return false;
      } catch (e) {
        return e instanceof api.ApiError && e.status === 401;
      }
    },
  });

  loadStatic(map, header);

  installShortcuts(
    {
      newCall: () => newCall.focusAddress(),
      locate: () => newCall.locate(),
      setPriority: (p) => newCall.setPriority(p),
      inNewCallForm: (el) => el !== null && newCall.form.contains(el),
      assignTop: () => {
        if (store.selectedIncidentId !== null && !recs.assignTop()) showMessage(S.noRecommendationToAssign, "error");
      },
      escape: () => {
        if (help.isOpen) help.close();
        else if (!newCall.closeCandidates()) {
          p1.hide();
          store.select(null);
        }
      },
      help: () => help.open(),
      toggleMute: () => setMuted(!isMuted()),
    },
    () => !consoleRoot.hidden && !help.isOpen && !dialogOpen(),
  );

  // Once a second: clocks, countdowns, time in status, stale / not-acknowledged flags. When the set
  // of flagged units changes, the map redraws them; a newly unacknowledged order sounds the alert.
  let flagKey = "";
  window.setInterval(() => {
    header.tick();
    newCall.lines.tick();
    queue.tick();
    incidents.tick();
    units.tick();
    const now = store.serverNow();
    hospitalBoard.tick(now);
    let key = "";
    for (const u of store.units.values()) {
      if (store.isStale(u, now)) key += `s${u.id},`;
      if (store.isUnacked(u, now)) key += `u${u.id},`;
    }
    if (key !== flagKey) {
      flagKey = key;
      map.syncUnits(store.units.values(), flags, emphasis(), null);
    }
    const unacked = units.takeNewUnacked();
    if (unacked.length > 0) {
      // Same tone machinery as the P1 alert (silent when muted); the board records what happened.
      const played = beep([[660, 200], [660, 200], [990, 300]]);
      const board = byId("panel-units");
      board.dataset["unackedAlerts"] = String(Number(board.dataset["unackedAlerts"] ?? "0") + 1);
      board.dataset["alertSound"] = String(played);
      board.title = t("unackedAlert", { units: unacked.map((u) => u.call_sign).join(", ") });
    }
  }, 1000);

  return { header, map, socket, reloadRecs: recs.reload, scheduleRecs: recs.scheduleReload, moveups, signals, bloodStock };
}

const ROUTED: ReadonlySet<string> = new Set(["dispatched", "en_route"]);

function syncRoute(u: Unit, fetched: Set<string>): void {
  if (u.incident_id === null || !ROUTED.has(u.status)) {
    if (store.routes.has(u.id)) store.setRoute(u.id, null, null);
    return;
  }
  const have = store.routes.get(u.id);
  if (have && have.incidentId === u.incident_id) return;
  const key = `${u.id}:${u.incident_id}`;
  if (fetched.has(key)) return;
  fetched.add(key);
  api
    .unitAssignment(u.id)
    .then((a) => {
      const cur = store.units.get(u.id);
      if (cur && cur.incident_id === a.incident.id && ROUTED.has(cur.status)) store.setRoute(u.id, a.incident.id, a.route);
    })
    .catch(() => fetched.delete(key));
}

/** Map extent, roads, hospitals and stations; retried until the backend answers. */
function loadStatic(map: DispatchMap, header: Header, attempt = 0): void {
  api
    .mapInfo()
    .then((info) => {
      header.setMapName(info.name);
      map.fit(info);
      map.loadRoads();
      return Promise.all([api.hospitals(), api.stations()]).then(([hs, ss]) => map.setPlaces(hs, ss));
    })
    .catch((e: unknown) => {
      if (attempt === 0) showError(e);
      window.setTimeout(() => loadStatic(map, header, attempt + 1), Math.min(30_000, 2000 * 2 ** attempt));
    });
}

// Boot: reuse a session from this tab (renewed if its token expired meanwhile).
const existing = api.restoreSession();
if (existing?.must_change_password) {
  showLogin();
  loginForm.requirePasswordChange(existing);
} else if (existing) {
  startConsole(existing);
  api.me().catch(() => undefined); // a refused session ends in the unauthorized handler
} else {
  showLogin();
}
