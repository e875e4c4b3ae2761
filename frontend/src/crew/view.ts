// The crew screen, built once and updated in place: header (unit, status, link, language),
// GPS/queue bar, the current order with its map, and the big status buttons at thumb height.
import * as api from "../shared/api";
import { STATUS_COLORS } from "../shared/colors";
import { h, setText } from "../shared/dom";
import { clock, duration } from "../shared/format";
import { S, statusLabel, t } from "../shared/i18n";
import { setIcon } from "../shared/icons";
import { langToggle } from "../shared/langtoggle";
import { showError } from "../shared/panels/message";
import type { CrewAssignment, Unit, UnitStatus } from "../shared/types";
import type { ConnectionState } from "../shared/socket";
import type { Fix, GpsState } from "./gps";
import { LIFECYCLE, nextStatuses } from "./lifecycle";
import { CrewMap } from "./map";

export interface ViewActions {
  status(s: UnitStatus): void;
  ack(): void;
  reportPosition(): void;
  changePassword(): void;
  logout(): void;
}

export interface ViewModel {
  unit: Unit | null;
  status: UnitStatus | null;
  statusPending: boolean;
  assignment: CrewAssignment | null;
  assignmentAt: number;
  acknowledged: boolean;
  ackedAt: string | null;
  conn: ConnectionState;
  online: boolean;
  queued: number;
  sending: boolean;
  gps: GpsState;
  fix: Fix | null;
}

const hhmm = (d: Date) => clock(d).slice(0, 5);

export class CrewView {
  private readonly callSign = h("strong", { class: "callsign", "data-testid": "crew-call-sign" });
  private readonly statusRaw = h("span", { class: "raw", "data-testid": "crew-unit-status" });
  private readonly statusText = h("span", {});
  private readonly statusChip = h("span", { class: "chip" }, this.statusText, this.statusRaw);
  private readonly connText = h("span", {});
  private readonly connDot = h("span", { class: "conn-pill", "data-testid": "crew-connection" }, h("span", { class: "conn-dot" }), this.connText);
  private readonly gpsText = h("span", { class: "gps-text", "data-testid": "crew-gps" });
  private readonly offline = h("div", { class: "offline", "data-testid": "crew-offline", role: "status", "aria-live": "polite", hidden: true });
  private readonly card = h("section", { class: "card", "data-testid": "crew-assignment", hidden: true });
  private readonly idle = h("section", { class: "card idle" }, h("h2", {}, S.noAssignment), h("p", {}, S.noAssignmentHint));
  private readonly orderBanner = h("div", { class: "order-banner" }, S.newOrder);
  private readonly ackBtn = h("button", { type: "button", class: "big ack", "data-testid": "crew-ack" }, S.acknowledge);
  private readonly ackedText = h("div", { class: "acked" });
  private readonly prio = h("span", { class: "prio" });
  private readonly number = h("span", { class: "number mono", "data-testid": "crew-incident-number" });
  private readonly incStatus = h("span", { class: "badge" });
  private readonly address = h("div", { class: "address", "data-testid": "crew-address" });
  private readonly complaint = h("div", { class: "complaint", "data-testid": "crew-complaint" });
  private readonly etaRow = h("div", { class: "eta" });
  private readonly etaText = h("strong", { class: "mono", "data-testid": "crew-eta" });
  private readonly stepsBox = h("details", { class: "steps" });
  private readonly stepsList = h("ol", {});
  private readonly mapEl = h("div", { class: "crew-map", "data-testid": "crew-map" });
  private readonly buttons = new Map<UnitStatus, HTMLButtonElement>();
  private readonly syncedEl = h("div", { class: "sub synced" });
  private readonly reportBtn: HTMLButtonElement;
  private map: CrewMap | null = null;
  private last: ViewModel | null = null;
  private stepsKey = "";

  constructor(
    private readonly root: HTMLElement,
    actions: ViewActions,
  ) {
    // The menu: change password, log out (a <details>: opens and closes without script).
    const menu = h("details", { class: "crew-menu", "data-testid": "crew-menu" });
    const menuBtn = h("summary", { class: "hbtn", "data-testid": "crew-menu-open", title: S.menu, "aria-label": S.menu });
    setIcon(menuBtn, "menu");
    const passwordBtn = h("button", { type: "button", class: "menu-item", "data-testid": "crew-change-password" }, S.changePassword);
    const logoutBtn = h("button", { type: "button", class: "menu-item", "data-testid": "crew-logout" }, S.logout);
    passwordBtn.addEventListener("click", () => {
      menu.open = false;
      actions.changePassword();
    });
    logoutBtn.addEventListener("click", () => {
      menu.open = false;
      actions.logout();
    });
    menu.append(menuBtn, h("div", { class: "menu-list" }, passwordBtn, logoutBtn));
    const header = h(
      "header",
      { class: "crew-top" },
      this.callSign,
      this.statusChip,
      h("span", { class: "spacer" }),
      h("span", { class: "lang-slot" }, langToggle()),
      menu,
    );
    this.reportBtn = h("button", { type: "button", class: "mid", "data-testid": "crew-report-position", title: S.reportPosition, "aria-label": S.reportPosition });
    setIcon(this.reportBtn, "locate");
    this.reportBtn.append(S.reportPositionShort);
    this.reportBtn.addEventListener("click", actions.reportPosition);
    const bar = h("div", { class: "gps-bar" }, this.connDot, h("span", { class: "gps-dot" }), this.gpsText, h("span", { class: "spacer" }), this.reportBtn);

    this.ackBtn.addEventListener("click", actions.ack);
    this.stepsBox.append(h("summary", {}, S.directions), this.stepsList);
    this.etaRow.append(h("span", { class: "label" }, S.eta), this.etaText);
    this.card.append(
      this.orderBanner,
      this.ackBtn,
      h("div", { class: "row" }, this.prio, h("span", { class: "label" }, S.callNumber), this.number, this.incStatus),
      this.address,
      this.complaint,
      this.etaRow,
      this.ackedText,
    );

    const grid = h("div", { class: "status-grid", role: "group", "aria-label": S.statusHeading });
    for (const s of LIFECYCLE) {
      const b = h(
        "button",
        { type: "button", class: `sbtn st-${s}`, "data-testid": `crew-status-${s}`, "data-status": s, disabled: true },
        statusLabel(s),
      );
      b.style.setProperty("--st", STATUS_COLORS[s] ?? "#888");
      b.addEventListener("click", () => actions.status(s));
      this.buttons.set(s, b);
      grid.append(b);
    }

    root.append(
      header,
      h("div", { class: "crew-bars" }, this.offline, bar),
      h("main", { class: "crew-main" }, this.card, this.idle, this.mapEl, this.stepsBox, this.syncedEl),
      h("footer", { class: "crew-actions" }, grid),
    );
  }

  /** Create the map once the app is visible (MapLibre needs a sized container). */
  loadMap(): void {
    if (this.map) return;
    this.map = new CrewMap(this.mapEl, () => undefined);
    const load = (attempt: number) => {
      api
        .mapInfo()
        .then((info) => {
          this.map?.fit(info);
          this.map?.loadRoads();
          if (this.last) this.drawMap(this.last);
          return api.hospitals().then((hs) => this.map?.setPlaces(hs));
        })
        .catch((e: unknown) => {
          if (attempt === 0 && !(e instanceof api.ApiError && e.status === 0)) showError(e);
          window.setTimeout(() => load(attempt + 1), Math.min(30_000, 2000 * 2 ** attempt));
        });
    };
    load(0);
  }

  setUnitLabel(username: string, callSign: string | null): void {
    setText(this.callSign, callSign ?? username);
    document.title = `${callSign ?? username} · ${S.appTitle}`;
  }

  setGps(state: GpsState, fix: Fix | null): void {
    this.gpsText.parentElement!.dataset["gps"] = state;
    setText(this.gpsText, gpsText(state, fix));
  }

  synced(at: Date): void {
    setText(this.syncedEl, t("lastSync", { time: clock(at) }));
  }

  /** Once a second or so: ETA countdown and GPS age. */
  tick(fix: Fix | null): void {
    if (this.last) {
      this.renderEta(this.last);
      this.setGps(this.last.gps, fix);
    }
  }

  render(m: ViewModel): void {
    this.last = m;
    const st = m.status;
    // Header status.
    setText(this.statusRaw, st ?? "");
    setText(this.statusText, st ? statusLabel(st) : "…");
    this.statusChip.style.setProperty("--st", st ? STATUS_COLORS[st] ?? "#888" : "#888");
    this.statusChip.classList.toggle("pending", m.statusPending);
    this.connDot.dataset["state"] = m.conn;
    this.connDot.title = m.conn === "connected" ? S.connectionTitleConnected : S.connectionTitleReconnecting;
    setText(this.connText, m.conn === "connected" ? S.crewLive : S.crewPolling);
    this.root.dataset["conn"] = m.conn;

    // Offline / queue indicator: shown while offline or while anything waits to be sent.
    const showQueue = !m.online || m.queued > 0;
    this.offline.hidden = !showQueue;
    this.offline.dataset["count"] = String(m.queued);
    this.offline.dataset["online"] = String(m.online);
    setText(this.offline, m.online ? t("sendingQueued", { count: m.queued }) : t("offlineQueued", { count: m.queued }));

    // Assignment.
    const a = m.assignment;
    this.card.hidden = !a;
    this.idle.hidden = !!a;
    if (a) {
      const i = a.incident;
      const hasOrder = a.order_id !== undefined && a.order_id !== null;
      const needAck = hasOrder && !m.acknowledged;
      this.card.classList.toggle("unacked", needAck);
      this.orderBanner.hidden = !needAck;
      this.ackBtn.hidden = !needAck;
      this.ackedText.hidden = !hasOrder || needAck;
      setText(this.ackedText, m.ackedAt ? t("acknowledged", { time: hhmm(new Date(m.ackedAt)) }) : t("acknowledged", { time: "" }).trim());
      setText(this.prio, t("priorityLabel", { priority: i.priority }));
      this.prio.className = `prio p${i.priority}`;
      setText(this.number, i.number);
      setText(this.incStatus, statusLabel(i.status));
      this.incStatus.className = `badge st-${i.status}`;
      setText(this.address, i.address || S.unknownAddress);
      setText(this.complaint, i.complaint ?? "");
      this.complaint.hidden = !i.complaint;
      this.card.dataset["incidentId"] = String(i.id);
      this.card.dataset["orderId"] = hasOrder ? String(a.order_id) : "";
    }
    this.renderEta(m);
    this.renderSteps(a);

    // Status buttons: all of them in lifecycle order, only the legal next moves enabled.
    const next = new Set(nextStatuses(st));
    for (const [s, b] of this.buttons) {
      const enabled = next.has(s);
      b.disabled = !enabled;
      b.classList.toggle("next", enabled);
      b.classList.toggle("current", s === st);
      b.setAttribute("aria-current", s === st ? "true" : "false");
    }
    this.reportBtn.disabled = m.gps === "unsupported" || m.gps === "denied";
    this.setGps(m.gps, m.fix);
    this.drawMap(m);
  }

  private renderEta(m: ViewModel): void {
    const a = m.assignment;
    const show = !!a && a.eta_s !== null && a.eta_s !== undefined && (m.status === "dispatched" || m.status === "en_route");
    this.etaRow.hidden = !show;
    if (!show || !a || a.eta_s === null) return;
    const at = m.assignmentAt + a.eta_s * 1000;
    const left = Math.max(0, (at - Date.now()) / 1000);
    setText(this.etaText, t("etaValue", { clock: hhmm(new Date(at)), minutes: Math.ceil(left / 60) }));
    this.etaText.title = duration(left);
  }

  private renderSteps(a: CrewAssignment | null): void {
    const steps = a?.steps ?? [];
    const key = a ? `${a.incident.id}:${steps.length}:${steps[0]?.instruction ?? ""}` : "";
    this.stepsBox.hidden = steps.length === 0;
    if (key === this.stepsKey) return;
    this.stepsKey = key;
    this.stepsList.replaceChildren(
      ...steps.map((s) =>
        h("li", {}, h("span", {}, s.instruction), h("span", { class: "dist mono" }, s.distance_m >= 1000 ? `${(s.distance_m / 1000).toFixed(1)} ${S.km}` : `${Math.round(s.distance_m)} m`)),
      ),
    );
  }

  private drawMap(m: ViewModel): void {
    const map = this.map;
    if (!map) return;
    const pos = m.fix?.position ?? m.unit?.position ?? null;
    const unit = m.unit ? { ...m.unit, position: pos } : null;
    map.setUnit(unit, m.status);
    const a = m.assignment;
    map.setIncident(a?.incident ?? null);
    const routed = m.status === "dispatched" || m.status === "en_route";
    map.setRoute(a && routed ? a.route : null, pos, STATUS_COLORS[m.status ?? "dispatched"] ?? "#f08c00");
    if (a) {
      const pts = [...(a.route?.coordinates ?? [])];
      if (pos) pts.push(pos);
      if (a.incident.location) pts.push(a.incident.location);
      map.frame(`${a.incident.id}:${a.order_id ?? ""}`, pts);
    } else {
      map.frame(null, []);
    }
  }
}

function gpsText(state: GpsState, fix: Fix | null): string {
  switch (state) {
    case "ok": {
      if (!fix) return S.gpsWaiting;
      const age = (Date.now() - fix.at) / 1000;
      if (age > 60) return t("gpsStale", { age: duration(age) });
      return fix.accuracy !== null ? t("gpsOk", { accuracy: Math.round(fix.accuracy) }) : S.gps;
    }
    case "waiting":
      return S.gpsWaiting;
    case "denied":
      return S.gpsDenied;
    case "unavailable":
      return S.gpsUnavailable;
    case "unsupported":
      return S.gpsUnsupported;
    default:
      return S.gpsOff;
  }
}
