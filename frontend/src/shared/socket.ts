// WebSocket base client. `ReconnectingSocket` owns the connection life cycle shared by the console
// (console/socket.ts) and the crew app (crew/socket.ts): exponential backoff with jitter, ping/pong
// keep-alive, silence detection and handshake refusals (expired token, or an endpoint the server
// does not offer yet).
import { measure } from "./perf";

export type ConnectionState = "connected" | "reconnecting";

export interface BaseHandlers {
  state(state: ConnectionState): void;
  /** The server refused us at the handshake (e.g. expired token); return true to stop reconnecting. */
  rejected(): Promise<boolean>;
}

export interface SocketOptions {
  pingEveryMs?: number;
  silenceLimitMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

export abstract class ReconnectingSocket<M extends { type: string }> {
  protected ws: WebSocket | null = null;
  protected attempts = 0;
  private stopped = false;
  private retryTimer: number | undefined;
  private pingTimer: number | undefined;
  private lastHeard = 0;
  private state: ConnectionState = "reconnecting";
  private readonly opt: Required<SocketOptions>;
  /** User Timing name for the handling of each message (parse + handlers), or null. */
  protected measureName: string | null = null;

  constructor(
    private readonly base: BaseHandlers,
    options: SocketOptions = {},
  ) {
    this.opt = { pingEveryMs: 20_000, silenceLimitMs: 50_000, backoffMinMs: 500, backoffMaxMs: 15_000, ...options };
  }

  /** URL to connect to (built fresh for every attempt, so it carries the current token). */
  protected abstract url(): string;
  /** One parsed server message. */
  protected abstract handle(ws: WebSocket, msg: M): void;
  /** The socket opened (before any message). */
  protected opened(): void {}

  get connected(): boolean {
    return this.state === "connected";
  }

  start(): void {
    this.stopped = false;
    window.clearTimeout(this.retryTimer);
    if (!this.ws) this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "logout");
    this.setState("reconnecting");
  }

  /** Send a JSON message if the socket is open; false otherwise. */
  send(msg: unknown): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  /** Try again now (e.g. the browser says the network is back) instead of waiting for the backoff. */
  retryNow(): void {
    if (this.stopped || this.ws) return;
    this.attempts = 0;
    window.clearTimeout(this.retryTimer);
    this.connect();
  }

  protected setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    this.base.state(s);
  }

  /** A message proved the connection healthy: reset the backoff. */
  protected healthy(): void {
    this.attempts = 0;
  }

  private connect(): void {
    if (this.stopped) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    let opened = false;

    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.lastHeard = Date.now();
      this.opened();
      window.clearInterval(this.pingTimer);
      this.pingTimer = window.setInterval(() => this.keepAlive(ws), this.opt.pingEveryMs);
    };

    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      const t0 = performance.now();
      let msg: M;
      try {
        msg = JSON.parse(String(ev.data)) as M;
      } catch {
        return;
      }
      if (msg && typeof msg.type === "string") this.handle(ws, msg);
      if (this.measureName) measure(this.measureName, t0);
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
        void this.base.rejected().then((stop) => {
          if (!stop) this.scheduleRetry();
        });
      } else {
        this.scheduleRetry();
      }
    };
    // onerror is always followed by onclose; nothing to do here.
    ws.onerror = () => undefined;
  }

  private keepAlive(ws: WebSocket): void {
    if (this.ws !== ws) return;
    if (Date.now() - this.lastHeard > this.opt.silenceLimitMs) {
      this.reconnectNow(ws);
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
  }

  protected reconnectNow(ws: WebSocket): void {
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
    if (this.stopped) return;
    const base = Math.min(this.opt.backoffMaxMs, this.opt.backoffMinMs * 2 ** this.attempts);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempts += 1;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }
}
