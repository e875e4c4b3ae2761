// The courier crew's "Blood deliveries" block (issue 19, data-testid="crew-blood"): shown only
// while the unit has delivery jobs (GET /blood/units/{unit_id}/jobs; an ambulance that carries no
// blood never sees it). Per job: the bank to pick up at, the hospital to deliver to, the product,
// units and lots, and "Picked up" (POST .../pickup). There is no "delivered" button: the receiving
// ED confirms the handover on its own screen, which ends the job here.
//
// Blood events about the unit reach the crew socket (the courier is the event's unit): each reads
// the list again; the list is also read every POLL_MS (every IDLE_POLL_MS while there is no job).
// Bank names come from GET /blood/banks when this login may read it, else "Bank <id>".
import "./blood.css";

import { ApiError, loadSession } from "../shared/api";
import * as blood from "../shared/blood";
import { h } from "../shared/dom";
import { clock } from "../shared/format";
import { fill } from "../shared/hospitals";
import { S } from "../shared/i18n";
import { showError, showMessage } from "../shared/panels/message";

const POLL_MS = 5_000;
const IDLE_POLL_MS = 15_000;
/** A delivered job stays on the list this long (the crew sees the handover confirmed). */
const KEEP_DELIVERED_MS = 30 * 60_000;

export class CrewBlood {
  readonly root: HTMLElement;
  private readonly list: HTMLElement;
  private jobs: blood.DeliveryJob[] = [];
  private drawnKey = "";
  private bankNames = new Map<number, string>();
  /** null: not asked; false: refused to this login. */
  private banksAllowed: boolean | null = null;
  private timer: number | undefined;
  private loadNo = 0;
  private stopped = true;

  constructor(
    private readonly unitId: number,
    private readonly hospitalName: (id: number) => string | null,
  ) {
    this.list = h("div", { class: "blood-jobs", "data-testid": "crew-blood-jobs" });
    this.root = h("section", { class: "card crew-blood", "data-testid": "crew-blood", hidden: true }, h("div", { class: "row" }, h("strong", { class: "blood-title" }, S.blood.deliveries)), this.list);
  }

  start(): void {
    this.stopped = false;
    this.load();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  /** A crew socket event: blood events about this unit read the list again. */
  event(name: string): void {
    if (name.startsWith("Blood")) this.load();
  }

  /** Hospitals arrived or changed: names on the list. */
  redraw(): void {
    this.draw(true);
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = window.setTimeout(() => this.load(), this.shown().length ? POLL_MS : IDLE_POLL_MS);
  }

  private load(): void {
    if (this.stopped || !loadSession()) return;
    const mine = ++this.loadNo;
    blood
      .unitJobs(this.unitId)
      .then((jobs) => {
        if (mine !== this.loadNo) return;
        this.jobs = jobs;
        if (this.banksAllowed === null && jobs.some((j) => !j.bank_name && !this.bankNames.has(j.bank_id))) this.loadBanks();
        this.draw(false);
      })
      .catch(() => undefined) // offline, or the server restarting: the next round asks again
      .finally(() => {
        if (mine === this.loadNo) this.schedule();
      });
  }

  private loadBanks(): void {
    this.banksAllowed = true;
    blood
      .banks()
      .then((bs) => {
        this.bankNames = new Map(bs.map((b) => [b.id, b.name]));
        this.draw(true);
      })
      .catch((e: unknown) => {
        this.banksAllowed = e instanceof ApiError && e.status === 403 ? false : null;
      });
  }

  /** Open jobs, then the ones delivered lately; oldest assignment first. */
  private shown(): blood.DeliveryJob[] {
    const now = Date.now();
    return this.jobs
      .filter((j) => j.state === "assigned" || j.state === "picked_up" || (j.state === "delivered" && j.delivered_at && now - Date.parse(j.delivered_at) < KEEP_DELIVERED_MS))
      .sort((a, b) => Number(a.state === "delivered") - Number(b.state === "delivered") || Date.parse(a.assigned_at) - Date.parse(b.assigned_at));
  }

  private draw(force: boolean): void {
    const jobs = this.shown();
    const key = JSON.stringify(jobs);
    if (!force && key === this.drawnKey) return;
    this.drawnKey = key;
    this.root.hidden = jobs.length === 0;
    this.list.dataset["count"] = String(jobs.length);
    this.list.replaceChildren(...jobs.map((j) => this.row(j)));
  }

  private row(j: blood.DeliveryJob): HTMLElement {
    const bank = j.bank_name ?? this.bankNames.get(j.bank_id) ?? fill(S.blood.bankNo, { id: j.bank_id });
    const due =
      j.deadline && j.state !== "delivered"
        ? h(
            "div",
            { class: `row blood-due urgency-${j.urgency ?? ""}`, "data-testid": `crew-blood-due-${j.id}` },
            h("span", { class: "badge" }, blood.urgencyLabel(j.urgency ?? "")),
            h("span", {}, fill(S.blood.neededBy, { time: clock(j.deadline), in: blood.countdown(j.deadline, Date.now()) })),
          )
        : null;
    const hospital = this.hospitalName(j.hospital_id) ?? fill(S.blood.hospitalNo, { id: j.hospital_id });
    let action: HTMLElement;
    if (j.state === "assigned") {
      const btn = h("button", { type: "button", class: "blood-pickup", "data-testid": `crew-blood-pickup-${j.id}` }, S.blood.pickedUp);
      btn.addEventListener("click", () => this.pickUp(j, btn));
      action = btn;
    } else if (j.state === "picked_up") {
      action = h(
        "div",
        { class: "blood-onboard", "data-testid": `crew-blood-onboard-${j.id}` },
        h("strong", {}, fill(S.blood.pickedUpDone, { time: clock(j.picked_up_at) })),
        h("div", { class: "sub" }, S.blood.handoverHint),
      );
    } else {
      action = h("div", { class: "blood-done", "data-testid": `crew-blood-delivered-${j.id}` }, fill(S.blood.deliveredAt, { time: clock(j.delivered_at), by: j.handover_by ?? "" }));
    }
    return h(
      "div",
      { class: `blood-job state-${j.state}`, "data-testid": `crew-blood-job-${j.id}`, "data-state": j.state },
      h("div", { class: "row" }, h("span", { class: "badge", "data-testid": `crew-blood-state-${j.id}` }, blood.jobStateLabel(j.state)), h("strong", { class: "blood-what" }, `${blood.productLabel(j.product)} × ${j.units}`)),
      due,
      h("div", { class: "row" }, h("span", { class: "label" }, S.blood.pickup), h("span", { "data-testid": `crew-blood-bank-${j.id}` }, bank)),
      h("div", { class: "row" }, h("span", { class: "label" }, S.blood.dropAt), h("span", { "data-testid": `crew-blood-hospital-${j.id}` }, hospital)),
      h("div", { class: "row sub" }, `${S.blood.lots}: ${j.lots.join(", ")} · ${fill(S.blood.assignedAt, { time: clock(j.assigned_at) })}`),
      j.cold_chain_breached ? h("div", { class: "blood-warn" }, S.blood.coldChain) : null,
      action,
    );
  }

  private pickUp(j: blood.DeliveryJob, btn: HTMLButtonElement): void {
    btn.disabled = true;
    blood
      .pickUp(this.unitId, j.id)
      .then((done) => {
        this.jobs = this.jobs.map((x) => (x.id === done.id ? done : x));
        this.draw(false);
        showMessage(`${S.blood.pickedUp}: ${blood.productLabel(done.product)} × ${done.units}`, "info");
        this.load();
      })
      .catch((e: unknown) => {
        btn.disabled = false;
        showError(e);
        this.load();
      });
  }
}
