// Console WebSocket: snapshot + seq-numbered events, resume with ?since=lastSeq after a drop,
// exponential backoff with jitter, ping/pong keep-alive.
import { consoleSocketUrl } from "./api";
import type { EventMsg, ServerMsg, SnapshotMsg } from "./types";

export type ConnectionState = "connected" | "reconnecting";

export interface SocketHandlers {
  snapshot(msg: SnapshotMsg): void;
  event(msg: EventMsg): void;
  state(state: ConnectionState): void;
  error(detail: string): void;
  resync(reason: string): void;
  /** The server refused us at the handshake (e.g. expired token); return true to stop reconnecting. */
  rejected(): Promise<boolean>;
}

const PING_EVERY_MS = 20_000;
const SILENCE_LIMIT_MS = 50_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;

export class ConsoleSocket {
  private ws: WebSocket | null = null;
  private lastSeq: number | null = null;
  private gapRetriedAt: number | null = null;
  private attempts = 0;
  private stopped = false;
  private retryTimer: number | undefined;
  private pingTimer: number | undefined;
  private lastHeard = 0;
  private state: ConnectionState = "reconnecting";

  constructor(private readonly h: SocketHandlers) {}

  get seq(): number | null {
    return this.lastSeq;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "logout");
    this.lastSeq = null;
    this.setState("reconnecting");
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    this.h.state(s);
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(consoleSocketUrl(this.lastSeq));
    this.ws = ws;
    let opened = false;

    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.lastHeard = Date.now();
      // Without `since` we are live once the snapshot arrives; with it, as soon as we are open.
      if (this.lastSeq !== null) this.setState("connected");
      window.clearInterval(this.pingTimer);
      this.pingTimer = window.setInterval(() => this.keepAlive(ws), PING_EVERY_MS);
    };

    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let msg: ServerMsg;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMsg;
      } catch {
        return;
      }
      this.handle(ws, msg);
    };

    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      window.clearInterval(this.pingTimer);
      this.setState("reconnecting");
      if (this.stopped) return;
      // Auth failures close the socket early (policy violation / app codes 4401, 4403).
      const authLike = ev.code === 1008 || ev.code === 4401 || ev.code === 4403 || (!opened && this.attempts >= 1);
      if (authLike) {
        void this.h.rejected().then((stop) => {
          if (!stop) this.scheduleRetry();
        });
      } else {
        this.scheduleRetry();
      }
    };
    // onerror is always followed by onclose; nothing to do here.
    ws.onerror = () => undefined;
  }

  private handle(ws: WebSocket, msg: ServerMsg): void {
    switch (msg.type) {
      case "snapshot":
        this.attempts = 0;
        this.lastSeq = msg.seq;
        this.h.snapshot(msg);
        this.setState("connected");
        break;
      case "event":
        this.attempts = 0;
        if (this.lastSeq !== null && msg.seq <= this.lastSeq) return; // duplicate
        if (this.lastSeq !== null && msg.seq > this.lastSeq + 1 && this.gapRetriedAt !== this.lastSeq) {
          // A gap: reconnect once and let the server replay from our last seq. If the replay
          // shows the same gap, the log itself has a hole (e.g. a rolled-back sequence value): accept it.
          this.gapRetriedAt = this.lastSeq;
          this.reconnectNow(ws);
          return;
        }
        this.lastSeq = msg.seq;
        this.h.event(msg);
        break;
      case "resync":
        this.lastSeq = null;
        this.h.resync(msg.reason ?? "");
        this.reconnectNow(ws);
        break;
      case "error":
        this.h.error(msg.detail ?? msg.code ?? "error");
        break;
      case "pong":
        break;
    }
  }

  private keepAlive(ws: WebSocket): void {
    if (this.ws !== ws) return;
    if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
      this.reconnectNow(ws);
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
  }

  private reconnectNow(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    window.clearInterval(this.pingTimer);
    ws.onclose = null;
    ws.close(1000, "reconnect");
    this.setState("reconnecting");
    this.attempts = 0;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.connect(), 0);
  }

  private scheduleRetry(): void {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempts);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempts += 1;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }
}
