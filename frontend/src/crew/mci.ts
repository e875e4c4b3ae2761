// The crew's triage block (issue 17), shown while the unit's incident is a declared MCI: five big
// buttons, one tap = one new patient with the next tag (`<call sign>-<n>`) and the category, an
// optional note, and the patients this unit tagged. Offline-safe like the status buttons: each tap
// is queued in localStorage and POSTed in order, retried with backoff while the network or the
// server is away; the tag is the idempotency key (the server answers a replay with the stored
// patient), so a lost answer is harmless. Queued per unit (a phone handed to another crew keeps them). A tag another device took meanwhile (409) is renumbered.
import "./mci.css";

import { ApiError } from "../shared/api";
import { h } from "../shared/dom";
import { S } from "../shared/i18n";
import { showError } from "../shared/panels/message";
import {
  addPatient,
  CATEGORIES,
  categoryLabel,
  isMciEvent,
  mciBoard,
  patientStatusLabel,
  type MciPatient,
  type TriageCategory,
} from "../console/panels/mci-api";

interface Tap {
  incidentId: number;
  tag: string;
  category: TriageCategory;
  note: string;
  queuedAt: string;
}

const KEY_QUEUE = "gh.crew.mci.queue";
const KEY_NEXT = "gh.crew.mci.next";
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** While the incident is not (yet) an MCI, ask again this often (the socket usually tells first). */
const CHECK_MS = 15_000;

/** A call sign as a tag prefix (tags: letters, digits, `.`, `_`, `-`). */
const prefixOf = (callSign: string) => callSign.replace(/[^A-Za-z0-9._-]/g, "").replace(/^[^A-Za-z0-9]+/, "") || "U";

export class CrewTriage {
  readonly root: HTMLElement;
  private readonly note: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly pendingText: HTMLElement;
  private incidentId: number | null = null;
  private declared = false;
  private patients: MciPatient[] = [];
  private queue: Tap[];
  private sending = false;
  private retryTimer: number | undefined;
  private checkTimer: number | undefined;
  private failures = 0;
  private loadNo = 0;
  /** Stopped (logout): sends nothing more; the queue stays stored for the next sign-in. */
  private stopped = true;
  private readonly onOnline = () => this.resume();

  constructor(
    private readonly unitId: number,
    private readonly callSign: () => string | null,
    private readonly storage: Storage = localStorage,
  ) {
    this.queue = this.read();
    this.note = h("input", { class: "mci-note-input", "data-testid": "crew-triage-note", placeholder: S.mci.note, "aria-label": S.mci.note, maxlength: 500, autocomplete: "off" });
    const grid = h("div", { class: "triage-grid" });
    for (const c of CATEGORIES) {
      const b = h("button", { type: "button", class: `tbtn tri-${c}`, "data-testid": `crew-triage-${c}`, "data-category": c }, categoryLabel(c));
      b.addEventListener("click", () => this.tap(c));
      grid.append(b);
    }
    this.list = h("div", { class: "triage-list", "data-testid": "crew-triage-list" });
    this.pendingText = h("span", { class: "sub", "data-testid": "crew-triage-pending", hidden: true });
    this.root = h(
      "section",
      { class: "card mci-triage", "data-testid": "crew-mci", hidden: true },
      h("div", { class: "row" }, h("strong", { class: "triage-title" }, S.mci.triage), h("span", { class: "sub" }, S.mci.triageHint)),
      grid,
      this.note,
      h("div", { class: "row" }, h("span", { class: "label" }, S.mci.tagged), this.pendingText),
      this.list,
    );
  }

  /** The unit's current incident (null: none); called on every render, acts on a change. */
  setIncident(id: number | null): void {
    if (id === this.incidentId) return;
    this.incidentId = id;
    this.declared = false;
    this.patients = [];
    this.root.hidden = true;
    window.clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    if (id !== null) {
      this.load();
      this.checkTimer = window.setInterval(() => {
        if (!this.declared) this.load();
      }, CHECK_MS);
    }
    this.draw();
  }

  /** A crew socket event: the MCI events of our incident read the board again. */
  event(name: string): void {
    if (this.incidentId !== null && isMciEvent(name)) this.load();
  }

  /** Send what is queued (after a sign-in, the network coming back). */
  resume(): void {
    if (this.stopped) {
      this.stopped = false;
      window.addEventListener("online", this.onOnline);
    }
    window.clearTimeout(this.retryTimer);
    this.failures = 0;
    void this.flush();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    this.incidentId = null;
  }

  private load(): void {
    const id = this.incidentId;
    if (id === null) return;
    const mine = ++this.loadNo;
    mciBoard(id)
      .then((b) => {
        if (mine !== this.loadNo || id !== this.incidentId) return;
        this.declared = true;
        this.patients = b.patients;
        this.root.hidden = false;
        this.draw();
        void this.flush();
      })
      .catch((e: unknown) => {
        if (mine !== this.loadNo || id !== this.incidentId) return;
        // Not an MCI (404), or offline: taps already queued keep the block on screen.
        if (e instanceof ApiError && e.status === 404) this.declared = false;
        this.root.hidden = !this.declared && !this.queue.some((q) => q.incidentId === id);
      });
  }

  private prefix(): string {
    return prefixOf(this.callSign() ?? `U${this.unitId}`);
  }

  /** The next tag number: past every tag of ours known here or on the server. */
  private nextTag(incidentId: number): string {
    const p = `${this.prefix()}-`;
    const key = `${KEY_NEXT}.${this.unitId}.${incidentId}`;
    let n = Number(this.storage.getItem(key) ?? "0") || 0;
    for (const tag of [...this.patients.map((x) => x.tag), ...this.queue.map((q) => q.tag)]) {
      if (tag.startsWith(p)) {
        const k = Number(tag.slice(p.length));
        if (Number.isInteger(k) && k > n) n = k;
      }
    }
    n += 1;
    this.storage.setItem(key, String(n));
    return `${p}${n}`;
  }

  private tap(category: TriageCategory): void {
    const id = this.incidentId;
    if (id === null) return;
    const tap: Tap = { incidentId: id, tag: this.nextTag(id), category, note: this.note.value.trim(), queuedAt: new Date().toISOString() };
    this.note.value = "";
    this.queue.push(tap);
    this.save();
    navigator.vibrate?.(60);
    this.draw();
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.sending || this.stopped) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const item = this.queue[0]!;
        try {
          const p = await addPatient(item.incidentId, item.tag, item.category, item.note);
          this.queue.shift();
          this.save();
          this.failures = 0;
          if (item.incidentId === this.incidentId && !this.patients.some((x) => x.tag === p.tag)) this.patients.push(p);
          this.draw();
        } catch (e) {
          if (!(e instanceof ApiError) || e.status === 0 || e.status === 401 || e.status === 408 || e.status === 429 || e.status >= 500) {
            this.scheduleRetry();
            return;
          }
          if (e.code === "patient-tag-taken") {
            item.tag = this.nextTag(item.incidentId); // another device of this unit took it
            this.save();
            continue;
          }
          // Refused for good (the incident closed, not an MCI, the unit left it): dropped, said.
          this.queue.shift();
          this.save();
          showError(e);
          this.draw();
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private scheduleRetry(): void {
    window.clearTimeout(this.retryTimer);
    const ms = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.failures);
    this.failures += 1;
    this.retryTimer = window.setTimeout(() => void this.flush(), ms);
    this.draw();
  }

  private draw(): void {
    const id = this.incidentId;
    const p = `${this.prefix()}-`;
    const queued = this.queue.filter((q) => q.incidentId === id);
    const mine = this.patients.filter((x) => x.tag.startsWith(p) && !queued.some((q) => q.tag === x.tag));
    if (queued.length > 0) this.root.hidden = false;
    this.pendingText.hidden = queued.length === 0;
    this.pendingText.textContent = queued.length ? `${queued.length} ${S.mci.queued}` : "";
    const row = (tag: string, c: string, status: string, pending: boolean) =>
      h(
        "div",
        { class: `triage-item${pending ? " pending" : ""}`, "data-testid": `crew-triage-patient-${tag}`, "data-category": c, "data-pending": String(pending) },
        h("span", { class: `tri-dot tri-${c}` }),
        h("span", { class: "mono" }, tag),
        h("span", {}, categoryLabel(c)),
        h("span", { class: "sub" }, status),
      );
    const byNumber = (a: string, b: string) => b.localeCompare(a, undefined, { numeric: true });
    this.list.replaceChildren(
      ...queued.map((q) => row(q.tag, q.category, S.mci.queued, true)).sort((a, b) => byNumber(a.dataset["testid"]!, b.dataset["testid"]!)),
      ...mine.sort((a, b) => byNumber(a.tag, b.tag)).map((x) => row(x.tag, x.category, patientStatusLabel(x.status), false)),
    );
    this.list.dataset["count"] = String(queued.length + mine.length);
  }

  private read(): Tap[] {
    try {
      const q = JSON.parse(this.storage.getItem(`${KEY_QUEUE}.${this.unitId}`) ?? "[]") as unknown;
      return Array.isArray(q) ? (q as Tap[]) : [];
    } catch {
      return [];
    }
  }

  private save(): void {
    try {
      this.storage.setItem(`${KEY_QUEUE}.${this.unitId}`, JSON.stringify(this.queue));
    } catch {
      /* storage full: the queue lives on in memory */
    }
  }
}
