// The crew's outbox: status changes, GPS fixes and order acknowledgements are queued in
// localStorage and sent one at a time, in order. Each status/position carries this install's
// `client_id` and a persisted, ever-increasing `client_seq`, stamped when queued, so replaying
// after a lost answer is harmless: the server does not apply a seq twice (docs/api.md).
// The queue outlives the session: after a logout, an expired session or a reload it is sent once
// the crew signs in again. Items of another unit (a phone handed to another crew) stay stored,
// unsent, until a login of that unit comes back, rather than being refused and dropped.
// Statuses and acks carry the time the crew pressed the button (`queuedAt`, this device's clock)
// as `at`, and the device's clock when sent as `sent_at`: the server records the press, not the
// moment a queue flushed after an outage, corrected for this clock's error (docs/times.md).
import { ApiError, ackOrder, reportPosition, setUnitStatus } from "../shared/api";
import { deviceTime } from "../shared/timeflags";
import type { AckResult, LonLat, Unit, UnitStatus } from "../shared/types";

export type OutboxItem =
  | { kind: "status"; seq: number; unitId: number; status: UnitStatus; queuedAt: string }
  | { kind: "position"; seq: number; unitId: number; position: LonLat; reportedAt: string; accuracy: number | null; queuedAt: string }
  | { kind: "ack"; seq: number; unitId: number; orderId: number; queuedAt: string };

type NewItem =
  | { kind: "status"; unitId: number; status: UnitStatus }
  | { kind: "position"; unitId: number; position: LonLat; reportedAt: string; accuracy: number | null }
  | { kind: "ack"; unitId: number; orderId: number };

export interface OutboxHandlers {
  /** The server applied (or had already applied) a status or position: its answer. */
  unit(unit: Unit, item: OutboxItem): void;
  acked(result: AckResult, item: OutboxItem): void;
  /** The server refused an item for good (4xx other than 401/408/429); it was dropped. */
  refused(item: OutboxItem, error: ApiError): void;
  /** Network state as seen by the last attempt. */
  network(up: boolean): void;
  /** 401 (or 403 password-change-required): stop until the crew signs in again; the queue is kept. */
  unauthorized(): void;
}

const KEY_QUEUE = "gh.crew.outbox";
const KEY_CLIENT = "gh.crew.client_id";
const KEY_SEQ = "gh.crew.client_seq";
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Keep the queue bounded on a long outage: oldest GPS fixes go first, never statuses. */
const MAX_ITEMS = 500;

function randomId(): string {
  // crypto.getRandomValues works in insecure contexts too (randomUUID does not).
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function mentionsStamp(e: ApiError): boolean {
  const fields = (e.problem.errors ?? []).flatMap((x) => x.loc.map(String));
  return fields.includes("client_id") || fields.includes("client_seq") || /client_(id|seq)/.test(e.problem.detail ?? "");
}

export class Outbox {
  readonly clientId: string;
  private items: OutboxItem[];
  /** Queued on this device for another unit: kept, not sent by this login. */
  private readonly others: OutboxItem[];
  private lastSeq: number;
  private running = false;
  /** Whether the server accepts client_id/client_seq (assumed until it says otherwise). */
  private stamps = true;
  private paused = false;
  private retryTimer: number | undefined;
  private failures = 0;
  private readonly listeners: (() => void)[] = [];

  constructor(
    readonly unitId: number,
    private readonly h: OutboxHandlers,
    private readonly storage: Storage = localStorage,
  ) {
    let id = storage.getItem(KEY_CLIENT);
    if (!id) {
      id = `crew-${randomId()}`;
      storage.setItem(KEY_CLIENT, id);
    }
    this.clientId = id;
    this.lastSeq = Number(storage.getItem(KEY_SEQ) ?? "0") || 0;
    let stored: OutboxItem[] = [];
    try {
      const raw: unknown = JSON.parse(storage.getItem(KEY_QUEUE) ?? "[]");
      stored = Array.isArray(raw) ? (raw as OutboxItem[]) : [];
    } catch {
      stored = [];
    }
    this.items = stored.filter((it) => it.unitId === unitId);
    this.others = stored.filter((it) => it.unitId !== unitId);
    // Never hand out a seq at or below one already queued (e.g. storage partly restored).
    for (const it of stored) this.lastSeq = Math.max(this.lastSeq, it.seq);
  }

  get pending(): readonly OutboxItem[] {
    return this.items;
  }

  get size(): number {
    return this.items.length;
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Queue an update and try to send it at once. */
  push(item: NewItem): OutboxItem {
    const queuedAt = new Date().toISOString();
    let full: OutboxItem;
    if (item.kind === "ack") {
      const dup = this.items.find((i) => i.kind === "ack" && i.unitId === item.unitId && i.orderId === item.orderId);
      if (dup) return dup;
      full = { ...item, seq: this.nextSeq(), queuedAt };
    } else {
      // A GPS fix replaces a queued fix that nothing was queued after: only the newest matters.
      const last = this.items[this.items.length - 1];
      if (item.kind === "position" && last?.kind === "position" && last.unitId === item.unitId && !(this.running && this.items.length === 1)) {
        this.items.pop();
      }
      full = { ...item, seq: this.nextSeq(), queuedAt } as OutboxItem;
    }
    this.items.push(full);
    this.trim();
    this.save();
    void this.flush();
    return full;
  }

  /** Send everything queued, in order; stops at the first network failure and retries later. */
  async flush(): Promise<void> {
    if (this.running || this.paused) return;
    this.running = true;
    window.clearTimeout(this.retryTimer);
    this.changed();
    try {
      while (this.items.length > 0 && !this.paused) {
        const item = this.items[0]!;
        try {
          await this.send(item);
          this.failures = 0;
          this.h.network(true);
        } catch (e) {
          const err = e instanceof ApiError ? e : new ApiError(0, { detail: String(e) });
          // Not signed in (or a password to change first): keep everything until the crew is back.
          if (err.status === 401 || (err.status === 403 && err.code === "password-change-required")) {
            this.paused = true;
            this.h.unauthorized();
            return;
          }
          if (err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500) {
            if (err.status === 0) this.h.network(false);
            this.scheduleRetry();
            return;
          }
          this.h.refused(item, err);
        }
        // Sent or refused for good: drop it (it is still the head: pushes only append).
        if (this.items[0] === item) this.items.shift();
        this.save();
        this.changed();
      }
    } finally {
      this.running = false;
      this.changed();
    }
  }

  /** Resume after a new sign-in (or when the network comes back). */
  resume(): void {
    this.paused = false;
    this.failures = 0;
    void this.flush();
  }

  pause(): void {
    this.paused = true;
    window.clearTimeout(this.retryTimer);
  }

  get sending(): boolean {
    return this.running;
  }

  private async send(item: OutboxItem): Promise<void> {
    try {
      await this.sendOnce(item, this.stamps);
    } catch (e) {
      // A server from before idempotent crew updates refuses the unknown fields (422): send
      // without them from now on (until the next page load) rather than lose the update.
      if (this.stamps && e instanceof ApiError && e.status === 422 && mentionsStamp(e)) {
        this.stamps = false;
        await this.sendOnce(item, false);
      } else {
        throw e;
      }
    }
  }

  private async sendOnce(item: OutboxItem, withStamp: boolean): Promise<void> {
    const stamp = withStamp ? { client_id: this.clientId, client_seq: item.seq } : undefined;
    switch (item.kind) {
      case "status":
        this.h.unit(await setUnitStatus(item.unitId, item.status, stamp, deviceTime(item.queuedAt)), item);
        return;
      case "position":
        this.h.unit(await reportPosition(item.unitId, item.position, item.reportedAt, stamp), item);
        return;
      case "ack":
        this.h.acked(await ackOrder(item.unitId, item.orderId, deviceTime(item.queuedAt)), item);
        return;
    }
  }

  private scheduleRetry(): void {
    const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.failures);
    this.failures += 1;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.flush(), base / 2 + Math.random() * (base / 2));
  }

  private nextSeq(): number {
    this.lastSeq += 1;
    this.storage.setItem(KEY_SEQ, String(this.lastSeq));
    return this.lastSeq;
  }

  private trim(): void {
    while (this.items.length > MAX_ITEMS) {
      const i = this.items.findIndex((x, n) => x.kind === "position" && !(n === 0 && this.running));
      if (i < 0) break;
      this.items.splice(i, 1);
    }
  }

  private save(): void {
    try {
      this.storage.setItem(KEY_QUEUE, JSON.stringify([...this.others, ...this.items]));
    } catch {
      /* quota: the in-memory queue still works */
    }
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
