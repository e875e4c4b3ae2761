// The crew screen, built once and updated in place: header (unit, status, link, language),
// GPS/queue bar, the current order (a call, with its destination hospital, or a move-up) with its
// map, and the big status buttons at thumb height.
import * as api from "../shared/api";
import { STATUS_COLORS } from "../shared/colors";
import { h, setText } from "../shared/dom";
import { clock, duration } from "../shared/format";
import { lang, S, statusLabel, t } from "../shared/i18n";
import { setIcon } from "../shared/icons";
import { langToggle } from "../shared/langtoggle";
import { showError } from "../shared/panels/message";
import type { CrewAssignment, UnitStatus } from "../shared/types";
import type { ConnectionState } from "../shared/socket";
import { flagsText } from "../shared/timeflags";
import type { Fix, GpsState } from "./gps";
import type { Leg } from "./legs";
import { LIFECYCLE, nextStatuses } from "./lifecycle";
import { CrewMap } from "./map";
import type { CrewUnit, DestinationOption, Hospital, Relocation } from "./orders";

export interface ViewActions {
  status(s: UnitStatus): void;
  ack(): void;
  ackRelocation(): void;
  /** Open (or close) the short ranked list of hospitals for the patient. */
  toggleDestinations(): void;
  pickDestination(hospitalId: number): void;
  reportPosition(): void;
  changePassword(): void;
  logout(): void;
}

/** The destination block: the hospital chosen (if any) and whether the crew may choose one now. */
export interface DestinationModel {
  hospitalId: number | null;
  hospital: Hospital | null;
  canChoose: boolean;
  /** The ranked list while open (null: closed; empty: nobody can take the patient). */
  options: DestinationOption[] | null;
}

export interface ViewModel {
  unit: CrewUnit | null;
  status: UnitStatus | null;
  statusPending: boolean;
  assignment: CrewAssignment | null;
  assignmentAt: number;
  acknowledged: boolean;
  ackedAt: string | null;
  destination: DestinationModel;
  /** The move-up order on show (none while the unit works a call or once it is in quarters). */
  relocation: Relocation | null;
  relocationAcknowledged: boolean;
  relocationAckedAt: string | null;
  /** Where the unit drives now: drawn, timed and framed on the map. */
  leg: Leg | null;
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
  private readonly timeNote = h("div", { class: "time-note", "data-testid": "crew-time-flags", role: "status", hidden: true });
  private readonly card = h("section", { class: "card", "data-testid": "crew-assignment", hidden: true });
  private readonly idleTitle = h("h2", {}, S.noAssignment);
  private readonly idleHint = h("p", { "data-testid": "crew-idle-hint" }, S.noAssignmentHint);
  private readonly idle = h("section", { class: "card idle", "data-testid": "crew-idle" }, this.idleTitle, this.idleHint);
  // The destination hospital, inside the order card.
  private readonly destBox = h("div", { class: "dest", "data-testid": "crew-destination" });
  private readonly destName = h("strong", { class: "dest-name", "data-testid": "crew-destination-name" });
  private readonly destEd = h("span", { class: "badge", "data-testid": "crew-destination-ed" });
  private readonly destBeds = h("span", { class: "sub" });
  private readonly destBtn = h("button", { type: "button", class: "mid", "data-testid": "crew-choose-destination" }, S.crewChooseDestination);
  private readonly destOptions = h("div", { class: "dest-options", "data-testid": "crew-destination-options", hidden: true });
  private destOptionsKey = "";
  // A move-up order: its own card, acknowledged like a dispatch order.
  private readonly relCard = h("section", { class: "card relocation", "data-testid": "crew-relocation", hidden: true });
  private readonly relBanner = h("div", { class: "order-banner" }, S.crewMoveUp);
  private readonly relAckBtn = h("button", { type: "button", class: "big ack", "data-testid": "crew-relocation-ack" }, S.crewAckMoveUp);
  private readonly relStation = h("div", { class: "address", "data-testid": "crew-relocation-station" });
  private readonly relAcked = h("div", { class: "acked" });
  private readonly relEtaRow = h("div", { class: "eta" });
  private readonly relEtaText = h("strong", { class: "mono", "data-testid": "crew-relocation-eta" });
  private readonly orderBanner = h("div", { class: "order-banner" }, S.newOrder);
  private readonly ackBtn = h("button", { type: "button", class: "big ack", "data-testid": "crew-ack" }, S.acknowledge);
  private readonly ackedText = h("div", { class: "acked" });
  private readonly prio = h("span", { class: "prio" });
  private readonly number = h("span", { class: "number mono", "data-testid": "crew-incident-number" });
  private readonly incStatus = h("span", { class: "badge" });
  private readonly address = h("div", { class: "address", "data-testid": "crew-address" });
  private readonly complaint = h("div", { class: "complaint", "data-testid": "crew-complaint" });
  /** The protection the crew must wear (suspected infectious call): on the order, hard to miss. */
  private readonly protection = h("div", { class: "order-banner protection", "data-testid": "crew-protection" });
  private readonly etaRow = h("div", { class: "eta" });
  private readonly etaText = h("strong", { class: "mono", "data-testid": "crew-eta" });
  private readonly stepsBox = h("details", { class: "steps" });
  private readonly stepsList = h("ol", {});
  private readonly mapEl = h("div", { class: "crew-map", "data-testid": "crew-map" });
  private readonly buttons = new Map<UnitStatus, HTMLButtonElement>();
  private readonly syncedEl = h("div", { class: "sub synced" });
  /** Where the triage block of a mass-casualty incident goes (crew/mci.ts), under the order. */
  readonly mciSlot = h("div", { class: "crew-mci-slot" });
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
    this.destBtn.addEventListener("click", actions.toggleDestinations);
    this.destOptions.addEventListener("click", (e) => {
      const b = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-hospital-id]");
      if (b) actions.pickDestination(Number(b.dataset["hospitalId"]));
    });
    this.destBox.append(
      h("div", { class: "row" }, h("span", { class: "label" }, S.crewDestination), this.destName, this.destEd, this.destBeds),
      this.destBtn,
      this.destOptions,
    );
    this.card.append(
      this.orderBanner,
      this.ackBtn,
      h("div", { class: "row" }, this.prio, h("span", { class: "label" }, S.callNumber), this.number, this.incStatus),
      this.address,
      this.protection,
      this.complaint,
      this.destBox,
      this.etaRow,
      this.ackedText,
    );
    this.relAckBtn.addEventListener("click", actions.ackRelocation);
    this.relEtaRow.append(h("span", { class: "label" }, S.eta), this.relEtaText);
    this.relCard.append(this.relBanner, this.relAckBtn, this.relStation, h("div", { class: "sub" }, S.crewMoveUpHint), this.relEtaRow, this.relAcked);

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
      h("div", { class: "crew-bars" }, this.offline, this.timeNote, bar),
      h("main", { class: "crew-main" }, this.card, this.mciSlot, this.relCard, this.idle, this.mapEl, this.stepsBox, this.syncedEl),
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
    // Why the server recorded the last status at another time than the phone said (or flags it).
    const flags = m.statusPending ? "" : flagsText(m.unit?.status_flags);
    this.timeNote.hidden = !flags;
    this.timeNote.dataset["flags"] = (m.unit?.status_flags ?? []).join(" ");
    setText(this.timeNote, flags);

    // Assignment, or a move-up order, or nothing to do.
    const a = m.assignment;
    const r = a ? null : m.relocation;
    this.card.hidden = !a;
    this.relCard.hidden = !r;
    this.idle.hidden = !!a || !!r;
    this.idle.dataset["status"] = st ?? "";
    if (st === "decontamination") {
      const until = m.unit?.decontamination_until;
      setText(this.idleTitle, S.crewDecontamination);
      setText(this.idleHint, t("crewDecontaminationHint", { time: until ? hhmm(new Date(until)) : "" }));
    } else {
      setText(this.idleTitle, st === "returning" ? S.crewReturning : S.noAssignment);
      setText(this.idleHint, st === "returning" ? S.crewReturningHint : S.noAssignmentHint);
    }
    if (r) this.renderRelocation(m, r);
    if (a) this.renderDestination(m.destination);
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
      const protection = a.protection ?? i.protection ?? null;
      setText(this.protection, protection === "airborne" ? S.crewProtectionAirborne : "");
      this.protection.hidden = protection !== "airborne";
      this.card.dataset["incidentId"] = String(i.id);
      this.card.dataset["orderId"] = hasOrder ? String(a.order_id) : "";
    }
    this.renderEta(m);
    this.renderSteps(m.leg);

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

  private renderRelocation(m: ViewModel, r: Relocation): void {
    const needAck = !m.relocationAcknowledged;
    this.relCard.classList.toggle("unacked", needAck);
    this.relCard.dataset["orderId"] = String(r.order_id);
    this.relCard.dataset["stationId"] = String(r.station.id);
    this.relBanner.hidden = !needAck;
    this.relAckBtn.hidden = !needAck;
    this.relAcked.hidden = needAck;
    setText(this.relAcked, m.relocationAckedAt ? t("acknowledged", { time: hhmm(new Date(m.relocationAckedAt)) }) : t("acknowledged", { time: "" }).trim());
    setText(this.relStation, t("crewMoveUpTo", { station: r.station.name }));
  }

  private renderDestination(d: DestinationModel): void {
    this.destBox.hidden = d.hospitalId === null && !d.canChoose;
    this.destBox.dataset["hospitalId"] = d.hospitalId === null ? "" : String(d.hospitalId);
    const hosp = d.hospital;
    setText(this.destName, hosp ? hosp.name : d.hospitalId === null ? S.crewNoDestination : `#${d.hospitalId}`);
    this.destEd.hidden = !hosp;
    this.destBeds.hidden = !hosp;
    if (hosp) {
      setText(this.destEd, S.crewEdStatus[hosp.ed_status] ?? hosp.ed_status);
      this.destEd.className = `badge ed-${hosp.ed_status}`;
      this.destEd.dataset["edStatus"] = hosp.ed_status;
      setText(this.destBeds, t("crewBeds", { beds: hosp.beds_available }));
    }
    this.destBtn.hidden = !d.canChoose;
    this.destBtn.setAttribute("aria-expanded", String(d.options !== null));
    this.destOptions.hidden = d.options === null || !d.canChoose;
    const key = d.options === null ? "" : JSON.stringify([d.hospitalId, d.options.map((o) => [o.hospital.id, o.rank, o.eta_s, o.hospital.ed_status])]);
    if (key === this.destOptionsKey) return;
    this.destOptionsKey = key;
    const ranked = (d.options ?? []).filter((o) => o.rank !== null).slice(0, 5);
    this.destOptions.replaceChildren(
      h("div", { class: "label" }, ranked.length ? S.crewDestinationOptions : S.crewNoDestinationOptions),
      ...ranked.map((o) =>
        h(
          "button",
          {
            type: "button",
            class: `dest-option${o.hospital.id === d.hospitalId ? " chosen" : ""}`,
            "data-testid": "crew-destination-option",
            "data-hospital-id": o.hospital.id,
            "aria-pressed": String(o.hospital.id === d.hospitalId),
          },
          h("strong", {}, o.hospital.name),
          h("span", { class: `badge ed-${o.hospital.ed_status}` }, S.crewEdStatus[o.hospital.ed_status] ?? o.hospital.ed_status),
          o.eta_s === null ? null : h("span", { class: "mono" }, `${Math.ceil(o.eta_s / 60)} min`),
          o.reason ? h("span", { class: "sub" }, lang === "zh" ? o.reason.zh : o.reason.en) : null,
        ),
      ),
    );
  }

  private renderEta(m: ViewModel): void {
    const leg = m.leg;
    const show = !!leg && leg.eta_s !== null;
    const row = leg?.kind === "station" ? this.relEtaRow : this.etaRow;
    const text = leg?.kind === "station" ? this.relEtaText : this.etaText;
    (row === this.etaRow ? this.relEtaRow : this.etaRow).hidden = true;
    row.hidden = !show;
    row.dataset["leg"] = leg?.kind ?? "";
    if (!show || !leg || leg.eta_s === null) return;
    const at = leg.at + leg.eta_s * 1000;
    const left = Math.max(0, (at - Date.now()) / 1000);
    setText(text, t("etaValue", { clock: hhmm(new Date(at)), minutes: Math.ceil(left / 60) }));
    text.title = duration(left);
  }

  /** Hospitals on the map (the destination marked), kept up to date by the app. */
  setHospitals(hospitals: Hospital[]): void {
    this.map?.setPlaces(hospitals);
  }

  private renderSteps(leg: Leg | null): void {
    const steps = leg?.steps ?? [];
    const key = leg ? `${leg.key}:${steps.length}:${steps[0]?.instruction ?? ""}` : "";
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
    // What the map shows, as attributes: the leg driven and where its route ends (for tests, and
    // for anyone checking the screen against the radio).
    const leg = m.leg;
    const end = leg?.route?.coordinates.at(-1) ?? null;
    this.mapEl.dataset["leg"] = leg?.kind ?? "";
    this.mapEl.dataset["routeEnd"] = end ? `${end[0].toFixed(5)},${end[1].toFixed(5)}` : "";
    const map = this.map;
    if (!map) return;
    const pos = m.fix?.position ?? m.unit?.position ?? null;
    const unit = m.unit ? { ...m.unit, position: pos } : null;
    map.setUnit(unit, m.status);
    const a = m.assignment;
    map.setIncident(a?.incident ?? null);
    map.setDestination(a ? m.destination.hospitalId : null);
    map.setPost(m.assignment ? null : m.relocation?.station ?? null);
    map.setRoute(leg?.route ?? null, pos, STATUS_COLORS[m.status ?? "dispatched"] ?? "#f08c00");
    const key = leg?.key ?? (a ? `incident:${a.incident.id}:${a.order_id ?? ""}` : null);
    if (key) {
      const pts = [...(leg ? leg.route?.coordinates ?? [] : a?.route?.coordinates ?? [])];
      if (pos) pts.push(pos);
      const target = leg ? leg.target : a?.incident.location ?? null;
      if (target) pts.push(target);
      map.frame(key, pts);
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
