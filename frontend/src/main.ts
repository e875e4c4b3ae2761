// Composition: login gate, then the console (header, panels, map, live socket).
import "./styles.css";

import * as api from "./api";
import { byId } from "./dom";
import { S, t } from "./i18n";
import { langToggle } from "./langtoggle";
import { DispatchMap } from "./map";
import { mountP1Alert } from "./panels/alert";
import { mountHeader, type Header } from "./panels/header";
import { mountHelp } from "./panels/help";
import { mountIncidents } from "./panels/incidents";
import { mountLogin } from "./panels/login";
import { mountMessage, showError, showMessage } from "./panels/message";
import { mountNewCall } from "./panels/newcall";
import { mountRecommendations } from "./panels/recommendations";
import { mountUnits } from "./panels/units";
import { installShortcuts } from "./shortcuts";
import { isMuted, setMuted, unlockAudio } from "./sound";
import { store } from "./state";
import type { Assignment, LonLat, Session, Unit } from "./types";
import { ConsoleSocket } from "./ws";

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

function logout(): void {
  ui?.socket.stop();
  api.clearSession();
  store.clear();
  showLogin();
}

api.setUnauthorizedHandler(() => {
  if (!api.loadSession()) return;
  logout();
  showMessage(S.sessionExpired, "error");
});

function startConsole(session: Session): void {
  if (session.role === "crew") {
    api.clearSession();
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
}

function buildConsole(): Console {
  const header = mountHeader(byId("header"), logout, () => help.open());
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

  const newCall = mountNewCall(byId("panel-newcall"), {
    created: (incident) => {
      store.upsertIncident(incident);
      selectIncident(incident.id);
    },
    located: (loc: LonLat) => map.flyTo(loc, 15),
  });
  const incidents = mountIncidents(byId("panel-incidents"), selectIncident);
  const recs = mountRecommendations(byId("panel-recs"), {
    assigned: (a: Assignment) => {
      store.upsertUnit(a.unit);
      store.upsertIncident(a.incident);
      store.setRoute(a.unit.id, a.incident.id, a.route);
    },
    preview: (route) => map.setPreview(route),
  });
  const units = mountUnits(byId("panel-units"), focusUnit);

  // Map follows the store.
  store.subscribe((changes) => {
    if (changes.has("units")) map.syncUnits(store.units.values());
    if (changes.has("incidents") || changes.has("selection")) map.syncIncidents(store.incidents.values(), store.selectedIncidentId);
    if (changes.has("routes") || (changes.has("units") && store.routes.size > 0)) map.setRoutes(store.routes.values(), store.units);
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
  });

  const socket = new ConsoleSocket({
    snapshot: (msg) => {
      store.reset(msg.units, msg.incidents);
      store.flush();
    },
    event: (msg) => {
      if (msg.data.unit) store.upsertUnit(msg.data.unit);
      if (msg.data.incident) store.upsertIncident(msg.data.incident);
      if (msg.name === "CallReceived" && msg.data.incident?.priority === 1) p1.show(msg.data.incident);
    },
    positions: (msg) => {
      // Telemetry outside the event stream: apply a position only if it is newer than the one shown.
      for (const p of msg.units) {
        const u = store.units.get(p.id);
        if (!u || !p.position) continue;
        if (u.position_at && p.position_at && Date.parse(p.position_at) <= Date.parse(u.position_at)) continue;
        store.upsertUnit({ ...u, position: p.position, position_at: p.position_at });
      }
    },
    state: (s) => header.setConnection(s),
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
    () => !consoleRoot.hidden && !help.isOpen,
  );

  window.setInterval(() => {
    header.tick();
    incidents.tick();
    units.tick();
  }, 1000);

  return { header, map, socket, reloadRecs: recs.reload, scheduleRecs: recs.scheduleReload };
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

// Boot: reuse a session from this tab if the token still works.
const existing = api.loadSession();
if (existing) {
  startConsole(existing);
  api.me().catch(() => undefined); // a 401 here triggers the unauthorized handler
} else {
  showLogin();
}
