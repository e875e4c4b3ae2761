// The console's Blood panel (issue 19, data-testid="blood-panel"), shown while hospitals have blood
// requests open (or delivered within the last hour): per request the hospital, urgency, product and
// units, the deadline counting down, its status; the allocation's substitutes; each delivery job's
// courier, state and planned handover (ETA) from the courier plan (GET /blood/plan, advice); for a
// request held but not yet sent, a courier to choose (the plan's proposal first) and "Send" (POST
// /blood/requests/{id}/jobs); the plan's `offer_ambulance` advice and the jobs it could not plan,
// as text. Read again on the Blood* events of /ws/console (debounced) and every REFRESH_MS; the
// plan (an OR-Tools search of about half a second on the server) at most every PLAN_MIN_MS.
import "./blood.css";

import { ApiError, loadSession } from "../../shared/api";
import * as blood from "../../shared/blood";
import { h, setText } from "../../shared/dom";
import { clock, duration } from "../../shared/format";
import { fill, hospitals, type Hospital } from "../../shared/hospitals";
import { S } from "../../shared/i18n";
import { showError, showMessage } from "../../shared/panels/message";
import type { EventMsg } from "../../shared/types";
import { store } from "../state";
import { ask } from "./dialog";

const REFRESH_MS = 30_000;
const PLAN_MIN_MS = 3_000;
const EVENT_DEBOUNCE_MS = 400;
/** A delivered or cancelled request stays on the panel this long. */
const KEEP_CLOSED_MS = 60 * 60_000;

export interface BloodData {
  requests: blood.BloodRequest[];
  banks: Map<number, blood.BloodBank>;
  hospitals: Map<number, Hospital>;
  couriers: blood.Courier[];
  plan: blood.BloodPlan | null;
}

export interface BloodPanelControl {
  /** A console event: Blood* events read the requests and the plan again. */
  event(msg: EventMsg): void;
  /** After a snapshot: read everything again. */
  reload(): void;
  /** Told after every redraw (the map layer follows). */
  onChange(fn: (data: BloodData) => void): void;
}

export function mountBlood(root: HTMLElement): BloodPanelControl {
  const count = h("span", { class: "badge", "data-testid": "blood-panel-count" });
  const planNote = h("div", { class: "sub blood-plan-note", "data-testid": "blood-plan-note", hidden: true });
  const list = h("div", { class: "blood-rows", "data-testid": "blood-rows" });
  root.append(h("div", { class: "panel-title" }, h("h2", {}, S.blood.panel), h("span", { class: "spacer" }), count), h("div", { class: "scroll" }, planNote, list));
  root.hidden = true;

  const data: BloodData = { requests: [], banks: new Map(), hospitals: new Map(), couriers: [], plan: null };
  const listeners: ((d: BloodData) => void)[] = [];
  let handovers = blood.plannedHandovers(null);
  let offers = new Map<number, blood.PlanRequest>();
  let unplanned = new Map<number, string[]>();
  let clocks: (() => void)[] = [];
  let drawnKey = "";
  let loadNo = 0;
  let planNo = 0;
  let planAt = 0;
  let planTimer: number | undefined;
  let eventTimer: number | undefined;
  /** The courier chosen in a row's select, kept across redraws. */
  const chosen = new Map<number, string>();

  const callSign = (unitId: number) => store.units.get(unitId)?.call_sign ?? fill(S.blood.unitNo, { id: unitId });
  const bankName = (id: number) => data.banks.get(id)?.name ?? fill(S.blood.bankNo, { id });
  const hospitalName = (id: number) => data.hospitals.get(id)?.name ?? fill(S.blood.hospitalNo, { id });

  const shownRequests = () => {
    const now = Date.now();
    return data.requests.filter((r) => {
      if (blood.isOpen(r)) return true;
      const ended = Math.max(...r.jobs.map((j) => Date.parse(j.delivered_at ?? j.assigned_at)), Date.parse(r.requested_at));
      return now - ended < KEEP_CLOSED_MS;
    });
  };

  const setPlan = (p: blood.BloodPlan | null) => {
    data.plan = p;
    handovers = blood.plannedHandovers(p);
    offers = new Map((p?.requests ?? []).filter((r) => r.offer_ambulance).map((r) => [r.request_id, r]));
    unplanned = new Map();
    for (const u of p?.unplanned ?? []) unplanned.set(u.request_id, [...(unplanned.get(u.request_id) ?? []), blood.say(u.reason)]);
  };

  const loadPlan = () => {
    window.clearTimeout(planTimer);
    const wait = planAt + PLAN_MIN_MS - Date.now();
    if (wait > 0) {
      planTimer = window.setTimeout(loadPlan, wait);
      return;
    }
    if (!data.requests.some((r) => r.status === "reserved" || r.status === "dispatched")) {
      if (data.plan) {
        setPlan(null);
        draw(true);
      }
      return;
    }
    planAt = Date.now();
    const mine = ++planNo;
    blood
      .plan()
      .then((p) => {
        if (mine !== planNo) return;
        setPlan(p);
        planNote.hidden = !p.fallback;
        setText(planNote, p.fallback ?? "");
        draw(true);
      })
      .catch((e: unknown) => {
        if (mine !== planNo) return;
        planNote.hidden = false;
        setText(planNote, `${S.blood.planUnavailable}: ${e instanceof Error ? e.message : String(e)}`);
      });
  };

  const loadRequests = () => {
    const mine = ++loadNo;
    blood
      .allRequests()
      .then((rs) => {
        if (mine !== loadNo) return;
        data.requests = rs;
        const shown = shownRequests();
        const unknownBank = shown.some((r) => r.allocation.some((a) => !data.banks.has(a.bank_id)));
        const unknownHospital = shown.some((r) => !data.hospitals.has(r.hospital_id));
        if (unknownBank || unknownHospital || (shown.some((r) => r.status === "reserved") && data.couriers.length === 0)) loadReference();
        draw(false);
        loadPlan();
      })
      .catch((e: unknown) => {
        if (mine === loadNo && e instanceof ApiError && e.status !== 0 && e.status < 500 && e.status !== 401) showError(e);
      });
  };

  let referenceAt = 0;
  const loadReference = () => {
    if (Date.now() - referenceAt < 5_000) return;
    referenceAt = Date.now();
    Promise.all([blood.banks(), hospitals(), blood.couriers()])
      .then(([bs, hs, cs]) => {
        data.banks = new Map(bs.map((b) => [b.id, b]));
        data.hospitals = new Map(hs.map((x) => [x.id, x]));
        data.couriers = cs;
        draw(true);
      })
      .catch(() => undefined); // asked again with the next list
  };

  const reload = () => {
    referenceAt = 0;
    loadReference();
    loadRequests();
  };

  // -- drawing ----------------------------------------------------------------------------------

  const etaText = (stop: blood.PlanStop | undefined, now: number) =>
    stop ? fill(S.blood.handoverPlanned, { time: clock(stop.arrive_at), in: blood.countdown(stop.arrive_at, now) }) : S.blood.noEta;

  const jobLine = (j: blood.DeliveryJob): HTMLElement => {
    const eta = h("span", { class: "mono", "data-testid": `blood-row-eta-${j.id}` });
    const update = () => {
      if (j.state === "delivered") setText(eta, fill(S.blood.deliveredAt, { time: clock(j.delivered_at), by: j.handover_by ?? "" }));
      else if (j.state === "cancelled") setText(eta, "");
      else setText(eta, etaText(handovers.byJob.get(j.id), Date.now()));
    };
    update();
    clocks.push(update);
    return h(
      "div",
      { class: `blood-row-job state-${j.state}`, "data-testid": `blood-row-job-${j.id}`, "data-state": j.state, "data-unit-id": j.unit_id },
      h("strong", { "data-testid": `blood-row-courier-${j.id}` }, callSign(j.unit_id)),
      h("span", { class: "badge" }, blood.jobStateLabel(j.state)),
      h("span", { class: "sub" }, `${bankName(j.bank_id)} · ${j.units}`),
      eta,
      j.cold_chain_breached ? h("span", { class: "blood-warn" }, S.blood.coldChain) : null,
      j.state === "assigned" ? reassignButton(j) : null,
    );
  };

  /** Before pick-up the delivery can go to another courier (a breakdown, a better plan). */
  const reassignButton = (j: blood.DeliveryJob): HTMLElement => {
    const btn = h("button", { type: "button", class: "btn small ghost", "data-testid": `blood-reassign-${j.id}` }, S.blood.reassign);
    btn.addEventListener("click", () => {
      const choices = data.couriers.filter((c) => c.unit_id !== j.unit_id).map((c) => ({ value: String(c.unit_id), label: callSign(c.unit_id) }));
      void ask({
        title: fill(S.blood.reassignTitle, { unit: callSign(j.unit_id) }),
        choices,
        choiceLabel: S.blood.courier,
        noChoices: S.blood.noCourier,
        confirm: S.blood.reassign,
      }).then((answer) => {
        if (!answer?.choice) return;
        const unitId = Number(answer.choice);
        blood
          .reassignJob(j.id, unitId, answer.reason)
          .then(() => {
            showMessage(fill(S.blood.reassigned, { unit: callSign(unitId) }), "info");
            loadRequests();
            planAt = 0;
            loadPlan();
          })
          .catch(showError);
      });
    });
    return btn;
  };

  const assignForm = (r: blood.BloodRequest): HTMLElement => {
    const proposed = handovers.courierOf.get(r.id);
    const sel = h("select", { "data-testid": `blood-assign-unit-${r.id}`, "aria-label": S.blood.courier });
    const ids = data.couriers.map((c) => c.unit_id).sort((a, b) => Number(b === proposed) - Number(a === proposed) || callSign(a).localeCompare(callSign(b)));
    for (const id of ids) {
      const u = store.units.get(id);
      const label = `${callSign(id)}${u ? ` · ${S.statuses[u.status] ?? u.status}` : ""}${id === proposed ? ` · ${fill(S.blood.proposed, { unit: callSign(id) })}` : ""}`;
      sel.append(h("option", { value: id }, label));
    }
    const keep = chosen.get(r.id);
    if (keep && ids.includes(Number(keep))) sel.value = keep;
    sel.addEventListener("change", () => chosen.set(r.id, sel.value));
    const btn = h("button", { type: "submit", class: "btn small primary", "data-testid": `blood-assign-${r.id}`, title: S.blood.assignTitle }, S.blood.assign);
    btn.disabled = ids.length === 0;
    const eta = h("span", { class: "mono sub", "data-testid": `blood-row-proposed-eta-${r.id}` });
    const update = () => setText(eta, proposed !== undefined ? etaText(handovers.byRequest.get(r.id), Date.now()) : "");
    update();
    clocks.push(update);
    const form = h("form", { class: "row blood-assign" }, ids.length ? sel : h("span", { class: "sub" }, S.blood.noCourier), btn, eta);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const unitId = Number(sel.value);
      if (!unitId) return;
      btn.disabled = true;
      blood
        .assignCourier(r.id, unitId)
        .then((done) => {
          chosen.delete(r.id);
          data.requests = data.requests.map((x) => (x.id === done.id ? done : x));
          showMessage(fill(S.blood.courierSent, { unit: callSign(unitId), id: r.id }), "info");
          draw(false);
          planAt = 0;
          loadPlan();
        })
        .catch((e: unknown) => {
          btn.disabled = false;
          showError(e);
          loadRequests();
        });
    });
    return form;
  };

  /** The plan's advice for a bleed no courier makes in time, and (while the units wait for a
   *  carrier) the nearest available ambulance with a button: the dispatcher chooses. */
  const ambulanceOffer = (r: blood.BloodRequest, offer: blood.PlanRequest): HTMLElement => {
    const box = h("div", { class: "blood-offer", "data-testid": `blood-offer-ambulance-${r.id}` }, `${S.blood.offerAmbulance}: ${blood.say(offer.reason)}`);
    const amb = offer.ambulance;
    if (r.status !== "reserved" || !amb) return box;
    const btn = h(
      "button",
      { type: "button", class: "btn small danger", "data-testid": `blood-send-ambulance-${r.id}`, title: S.blood.sendAmbulanceTitle },
      fill(S.blood.sendAmbulance, { unit: amb.call_sign, eta: duration(amb.eta_s) }),
    );
    btn.addEventListener("click", () => {
      btn.disabled = true;
      blood
        .sendAmbulance(r.id, amb.unit_id)
        .then((done) => {
          data.requests = data.requests.map((x) => (x.id === done.id ? done : x));
          showMessage(fill(S.blood.ambulanceSent, { unit: amb.call_sign, id: r.id }), "info");
          draw(false);
          planAt = 0;
          loadPlan();
        })
        .catch((e: unknown) => {
          btn.disabled = false;
          showError(e);
          loadRequests();
        });
    });
    box.append(" ", btn);
    return box;
  };

  const row = (r: blood.BloodRequest): HTMLElement => {
    const status = blood.shownStatus(r);
    const due = h("span", { class: "mono", "data-testid": `blood-row-deadline-${r.id}` });
    const updateDue = () => setText(due, fill(S.blood.neededBy, { time: clock(r.deadline), in: blood.isOpen(r) ? blood.countdown(r.deadline, Date.now()) : blood.statusLabel(status) }));
    updateDue();
    if (blood.isOpen(r)) clocks.push(updateDue);
    const offer = offers.get(r.id);
    const substitutes = r.allocation.filter((a) => !a.identical);
    return h(
      "div",
      { class: `blood-row urg-${r.urgency} st-${status}`, "data-testid": `blood-row-${r.id}`, "data-status": status, "data-hospital-id": r.hospital_id },
      h(
        "div",
        { class: "row" },
        h("span", { class: `blood-urgency urg-${r.urgency}`, title: blood.urgencyLabel(r.urgency) }, blood.urgencyLabel(r.urgency)),
        h("strong", { class: "blood-hospital", "data-testid": `blood-row-hospital-${r.id}` }, hospitalName(r.hospital_id)),
        h("span", { class: "spacer" }),
        h("span", { class: `badge blood-status st-${status}`, "data-testid": `blood-row-status-${r.id}` }, blood.statusLabel(status)),
      ),
      h("div", { class: "row sub" }, h("span", {}, `#${r.id} · ${blood.what(r)}`), due),
      r.status === "waitlisted" ? h("div", { class: "blood-refusal" }, `${S.blood.waitlisted}: ${blood.say(r.refusal)}`) : null,
      substitutes.length ? h("div", { class: "sub blood-subst" }, substitutes.map((a) => blood.allocationText(a, bankName)).join("; ")) : null,
      ...r.jobs.map(jobLine),
      r.status === "reserved" ? assignForm(r) : null,
      offer ? ambulanceOffer(r, offer) : null,
      unplanned.has(r.id) ? h("div", { class: "blood-warn", "data-testid": `blood-unplanned-${r.id}` }, `${S.blood.unplanned}: ${(unplanned.get(r.id) ?? []).join("; ")}`) : null,
    );
  };

  const draw = (force: boolean) => {
    const shown = shownRequests();
    const key = JSON.stringify(shown);
    if (!force && key === drawnKey) return;
    drawnKey = key;
    // A courier being chosen keeps its select: no redraw while one has focus (the next one catches up).
    const focused = document.activeElement;
    if (focused instanceof HTMLSelectElement && root.contains(focused)) {
      drawnKey = "";
      return;
    }
    clocks = [];
    const open = shown.filter(blood.isOpen).length;
    root.hidden = shown.length === 0;
    setText(count, fill(S.blood.openRequests, { n: open }));
    count.dataset["open"] = String(open);
    // Most urgent first, then the earliest deadline; closed ones last.
    const urgencyRank = (u: string) => blood.URGENCIES.indexOf(u as blood.Urgency);
    const sorted = [...shown].sort(
      (a, b) => Number(!blood.isOpen(a)) - Number(!blood.isOpen(b)) || urgencyRank(a.urgency) - urgencyRank(b.urgency) || Date.parse(a.deadline) - Date.parse(b.deadline),
    );
    list.replaceChildren(...sorted.map(row));
    for (const fn of listeners) fn(data);
  };

  window.setInterval(() => {
    for (const c of clocks) c();
  }, 1000);
  window.setInterval(() => {
    if (loadSession()) loadRequests(); // signed out: the next snapshot reloads
  }, REFRESH_MS);

  return {
    event: (msg) => {
      if (!msg.name.startsWith("Blood")) return;
      window.clearTimeout(eventTimer);
      eventTimer = window.setTimeout(loadRequests, EVENT_DEBOUNCE_MS);
    },
    reload,
    onChange: (fn) => listeners.push(fn),
  };
}
