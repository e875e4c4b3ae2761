// The ED's Blood panel (issue 19, data-testid="ed-blood"): a form to ask the blood service for
// units (product, the patient's ABO/RhD group, units, needed within minutes or by a time, urgency)
// and this hospital's requests with their status (allocated, waitlisted, courier assigned, picked
// up, delivered), what was allocated (substitutes marked, with the note for the ward), each
// delivery's courier and planned handover, and "Confirm handover" (naming who took the units) for a
// delivery the courier has picked up.
//
// The ED socket carries no blood events (docs/blood.md), so the list is read every POLL_MS and
// after each action; the countdowns tick every second. Each delivery names its courier (call sign)
// and, while open, its expected handover (`eta_at`: the server's road time from where the courier
// is now); the courier plan itself is the floor's.
import "./blood.css";

import { ApiError, loadSession } from "../shared/api";
import * as blood from "../shared/blood";
import { h, setText } from "../shared/dom";
import { clock, parseLocalText, toLocalText } from "../shared/format";
import { fill } from "../shared/hospitals";
import { S } from "../shared/i18n";
import { showError, showMessage } from "../shared/panels/message";

const POLL_MS = 5_000;

export interface BloodPanel {
  refresh(): void;
  stop(): void;
}

/**
 * "45" (minutes from now) or "14:30" (the centre's wall clock, the next such time) as an ISO
 * instant; null for an empty field (the urgency's default deadline), "invalid" otherwise.
 */
export function parseDeadline(text: string, now = new Date()): string | null | "invalid" {
  const v = text.trim();
  if (!v) return null;
  if (/^\d{1,4}$/.test(v)) {
    const minutes = Number(v);
    if (minutes < 1 || minutes > 48 * 60) return "invalid";
    return new Date(now.getTime() + minutes * 60_000).toISOString();
  }
  const m = /^(\d{1,2})[:：](\d{2})$/.exec(v);
  if (!m) return "invalid";
  const today = toLocalText(now).slice(0, 10);
  const at = parseLocalText(`${today} ${m[1]}:${m[2]}`);
  if (at === null || at === "invalid") return "invalid";
  const when = at.getTime() <= now.getTime() ? new Date(at.getTime() + 24 * 3600_000) : at;
  return when.toISOString();
}

export function mountBloodPanel(root: HTMLElement, hospitalId: number): BloodPanel {
  // -- the form ---------------------------------------------------------------------------------
  const select = (id: string, options: readonly string[], label: (v: string) => string) =>
    h("select", { id, "data-testid": id }, ...options.map((o) => h("option", { value: o }, label(o))));
  const product = select("blood-product", blood.PRODUCTS, blood.productLabel);
  const group = select("blood-group", blood.GROUPS, (g) => g);
  const units = h("input", { id: "blood-units", "data-testid": "blood-units", type: "number", min: 1, max: blood.MAX_UNITS, step: 1, value: 2, required: true, class: "mono" });
  const urgency = select("blood-urgency", blood.URGENCIES, blood.urgencyLabel);
  const deadline = h("input", {
    id: "blood-deadline",
    "data-testid": "blood-deadline",
    placeholder: S.blood.deadlinePlaceholder,
    title: S.blood.deadlineHint,
    autocomplete: "off",
    maxlength: 5,
    class: "mono",
  });
  const partial = h("input", { id: "blood-accept-partial", "data-testid": "blood-accept-partial", type: "checkbox" });
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": "blood-submit" }, S.blood.send);
  const field = (id: string, label: string, input: HTMLElement) => h("label", { for: id, class: "blood-field" }, h("span", {}, label), input);
  const form = h(
    "form",
    { class: "blood-form", "data-testid": "blood-form" },
    h("h3", {}, S.blood.request),
    field("blood-product", S.blood.product, product),
    field("blood-group", S.blood.group, group),
    field("blood-units", S.blood.units, units),
    field("blood-urgency", S.blood.urgency, urgency),
    field("blood-deadline", S.blood.deadline, deadline),
    h("div", { class: "sub blood-hint" }, S.blood.deadlineHint),
    h("label", { for: "blood-accept-partial", class: "blood-check" }, partial, h("span", {}, S.blood.acceptPartial)),
    submit,
  );

  // -- the list ---------------------------------------------------------------------------------
  const count = h("span", { class: "badge", "data-testid": "blood-open-count" });
  const list = h("div", { class: "blood-list", "data-testid": "blood-requests" });
  root.append(
    h("div", { class: "panel-title" }, h("h2", {}, S.blood.panel), h("span", { class: "spacer" }), count),
    h("div", { class: "blood-body" }, form, h("div", { class: "blood-requests-col" }, h("h3", {}, S.blood.requests), list)),
  );

  let requests: blood.BloodRequest[] = [];
  let drawnKey = "";
  let bankNames = new Map<number, string>();
  let banksAsked = false;
  let loadNo = 0;
  /** Names typed for a handover, by job: kept across redraws. */
  const receivedBy = new Map<number, HTMLInputElement>();
  /** Countdowns redrawn every second. */
  let clocks: (() => void)[] = [];

  const bankName = (id: number) => bankNames.get(id) ?? fill(S.blood.bankNo, { id });

  const loadBanks = () => {
    banksAsked = true;
    blood
      .banks()
      .then((bs) => {
        bankNames = new Map(bs.map((b) => [b.id, b.name]));
        draw(true);
      })
      .catch(() => {
        banksAsked = false; // asked again with the next list that names an unknown bank
      });
  };

  const refresh = () => {
    if (!loadSession()) return; // signed out: the next sign-in reads again
    const mine = ++loadNo;
    blood
      .hospitalRequests(hospitalId)
      .then((rs) => {
        if (mine !== loadNo) return;
        requests = rs;
        if (!banksAsked && rs.some((r) => r.allocation.some((a) => !bankNames.has(a.bank_id)) || r.jobs.some((j) => !bankNames.has(j.bank_id)))) loadBanks();
        draw(false);
      })
      .catch((e: unknown) => {
        // Offline or the server restarting: the next poll tries again; anything else is said once.
        if (mine === loadNo && e instanceof ApiError && e.status !== 0 && e.status < 500 && e.status !== 401) showError(e);
      });
  };

  const etaText = (job: blood.DeliveryJob, now: number): string => {
    if (job.state === "delivered") return fill(S.blood.deliveredAt, { time: clock(job.delivered_at), by: job.handover_by ?? "" });
    if (job.eta_at) return fill(S.blood.handoverPlanned, { time: clock(job.eta_at), in: blood.countdown(job.eta_at, now) });
    if (job.state === "picked_up" && job.picked_up_at) return `${fill(S.blood.pickedUpAt, { time: clock(job.picked_up_at) })} · ${S.blood.noEta}`;
    return `${fill(S.blood.assignedAt, { time: clock(job.assigned_at) })} · ${S.blood.noEta}`;
  };

  const jobRow = (r: blood.BloodRequest, job: blood.DeliveryJob, now: number): HTMLElement => {
    const eta = h("span", { class: "blood-eta mono", "data-testid": `blood-eta-${job.id}` }, etaText(job, now));
    clocks.push(() => setText(eta, etaText(job, Date.now())));
    let action: HTMLElement | null = null;
    if (job.state === "picked_up") {
      let input = receivedBy.get(job.id);
      if (!input) {
        input = h("input", { class: "blood-received-by", "data-testid": `blood-received-by-${job.id}`, placeholder: S.blood.receivedBy, "aria-label": S.blood.receivedBy, maxlength: 100, autocomplete: "off" });
        receivedBy.set(job.id, input);
      }
      const btn = h("button", { type: "submit", class: "btn primary", "data-testid": `blood-handover-${job.id}` }, S.blood.confirmHandover);
      const f = h("form", { class: "blood-handover" }, input, btn);
      const field = input;
      f.addEventListener("submit", (ev) => {
        ev.preventDefault();
        const name = field.value.trim();
        if (!name) {
          showMessage(S.blood.receivedByMissing, "error");
          field.focus();
          return;
        }
        btn.disabled = true;
        blood
          .handover(hospitalId, job.id, name)
          .then(() => {
            receivedBy.delete(job.id);
            showMessage(fill(S.blood.handedOver, { what: blood.what({ ...job, group: r.group }) }), "info");
            refresh();
          })
          .catch((e: unknown) => {
            btn.disabled = false;
            showError(e);
          });
      });
      action = f;
    }
    return h(
      "div",
      { class: `blood-job state-${job.state}`, "data-testid": `blood-job-${job.id}`, "data-state": job.state, "data-unit-id": job.unit_id },
      h(
        "div",
        { class: "blood-line" },
        h("span", { class: "badge", "data-testid": `blood-job-state-${job.id}` }, blood.jobStateLabel(job.state)),
        h("span", {}, `${job.bank_name ?? bankName(job.bank_id)} → ${S.blood.courier} `, h("strong", { "data-testid": `blood-courier-${job.id}` }, job.call_sign ?? fill(S.blood.unitNo, { id: job.unit_id }))),
        h("span", { class: "sub" }, `${job.units} · ${job.lots.join(", ")}`),
      ),
      h("div", { class: "blood-line" }, eta, job.cold_chain_breached ? h("span", { class: "blood-warn", "data-testid": `blood-cold-chain-${job.id}` }, S.blood.coldChain) : null),
      action,
    );
  };

  const card = (r: blood.BloodRequest, now: number): HTMLElement => {
    const status = blood.shownStatus(r);
    const due = h("span", { class: "blood-due mono", "data-testid": `blood-deadline-${r.id}` });
    const dueText = () => fill(S.blood.neededBy, { time: clock(r.deadline), in: blood.countdown(r.deadline, Date.now()) });
    if (blood.isOpen(r)) {
      setText(due, dueText());
      clocks.push(() => setText(due, dueText()));
    } else {
      setText(due, fill(S.blood.neededBy, { time: clock(r.deadline), in: blood.statusLabel(status) }));
    }
    const lines = r.allocation.map((a) =>
      h(
        "li",
        { class: a.identical ? "" : "substitute", "data-identical": String(a.identical) },
        blood.allocationText(a, bankName),
        a.note ? h("div", { class: "sub blood-note" }, blood.say(a.note)) : null,
      ),
    );
    return h(
      "div",
      { class: `blood-card urg-${r.urgency} st-${status}`, "data-testid": `blood-request-${r.id}`, "data-status": status, "data-request-status": r.status },
      h(
        "div",
        { class: "blood-line" },
        h("span", { class: `blood-urgency urg-${r.urgency}` }, blood.urgencyLabel(r.urgency)),
        h("strong", { class: "blood-what" }, blood.what(r)),
        h("span", { class: "spacer" }),
        h("span", { class: `badge blood-status st-${status}`, "data-testid": `blood-status-${r.id}` }, blood.statusLabel(status)),
      ),
      h("div", { class: "blood-line sub" }, due, h("span", {}, `#${r.id} · ${r.requested_by} · ${clock(r.requested_at)}`)),
      r.status === "waitlisted"
        ? h("div", { class: "blood-refusal", "data-testid": `blood-refusal-${r.id}` }, `${S.blood.waitlisted}: ${blood.say(r.refusal)}`)
        : lines.length
          ? h("div", { class: "blood-allocation", "data-testid": `blood-allocation-${r.id}` }, h("span", { class: "label" }, S.blood.allocated), h("ul", {}, ...lines))
          : null,
      ...r.jobs.map((j) => jobRow(r, j, now)),
    );
  };

  /** Redraw when the data changed (`force`: names or the plan arrived); a typed name keeps its focus. */
  const draw = (force: boolean) => {
    const key = JSON.stringify(requests);
    if (!force && key === drawnKey) return;
    drawnKey = key;
    const focused = document.activeElement;
    const now = Date.now();
    clocks = [];
    const open = requests.filter(blood.isOpen).length;
    setText(count, fill(S.blood.openRequests, { n: open }));
    count.dataset["open"] = String(open);
    list.dataset["count"] = String(requests.length);
    if (requests.length === 0) list.replaceChildren(h("div", { class: "empty", "data-testid": "blood-none" }, S.blood.noRequests));
    else list.replaceChildren(...requests.map((r) => card(r, now)));
    for (const [jobId, input] of receivedBy) if (!input.isConnected) receivedBy.delete(jobId);
    if (focused instanceof HTMLInputElement && focused.isConnected && focused !== document.activeElement) focused.focus();
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const due = parseDeadline(deadline.value);
    if (due === "invalid") {
      showMessage(S.blood.deadlineInvalid, "error");
      deadline.focus();
      return;
    }
    const n = Math.round(Number(units.value));
    submit.disabled = true;
    blood
      .requestBlood(hospitalId, {
        product: product.value as blood.Product,
        group: group.value,
        units: n,
        urgency: urgency.value as blood.Urgency,
        deadline: due,
        accept_partial: partial.checked,
      })
      .then((r) => {
        showMessage(fill(S.blood.requested, { what: blood.what(r), status: blood.statusLabel(blood.shownStatus(r)) }), r.status === "waitlisted" ? "error" : "info");
        deadline.value = "";
        partial.checked = false;
        requests = [r, ...requests.filter((x) => x.id !== r.id)];
        draw(false);
        refresh();
      })
      .catch(showError)
      .finally(() => (submit.disabled = false));
  });

  refresh();
  const poll = window.setInterval(refresh, POLL_MS);
  const tick = window.setInterval(() => {
    for (const c of clocks) c();
  }, 1000);
  return {
    refresh,
    stop: () => {
      window.clearInterval(poll);
      window.clearInterval(tick);
    },
  };
}
