// WebSocket base client. `ReconnectingSocket` owns the connection life cycle shared by the console
// (console/socket.ts) and the crew app (crew/socket.ts): exponential backoff with jitter, ping/pong
// keep-alive, silence detection and handshake refusals (expired token, or an endpoint the server
// does not offer yet).
//
// The token never goes in the URL (it would be written to access logs): it is offered in
// Sec-WebSocket-Protocol as `bearer.<token>` next to `goldenhour.v1`, which the server selects
// (dispatch/socket_protocol.py). Every attempt takes a fresh token (renewed first when it is about
// to expire). Close code 4401 means the session ended on the server (logout, deactivation, idle):
// the session is renewed if it can be, else the app's unauthorized handler shows the login.
import { freshToken, renew, token } from "./api";
import { measure } from "./perf";

/** The protocol the server selects; the token rides next to it as `bearer.<token>`. */
export const SUBPROTOCOL = "goldenhour.v1";
export const BEARER_PREFIX = "bearer.";
/** Close code of a socket whose session ended on the server. */
export const SESSION_ENDED = 4401;

/** The subprotocols offered for `tok` (a JWT is base64url and dots: valid in a subprotocol). */
export function subprotocols(tok: string | null): string[] {
  return tok ? [SUBPROTOCOL, BEARER_PREFIX + tok] : [SUBPROTOCOL];
}

export type ConnectionState = "connected" | "reconnecting";

export interface BaseHandlers {
  state(state: ConnectionState): void;
  /** The server refused us at the handshake (e.g. expired token); return true to stop reconnecting. */
  rejected(): Promise<boolean>;
  /** Every close, with its code (1006: no close frame), e.g. for the page's diagnostics. */
  closed?(code: number): void;
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
  /** Waiting for a fresh token before opening. */
  private connecting = false;
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

  /** URL to connect to, built for every attempt (e.g. with `?since=`); never the token. */
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
    this.connect();
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
    if (this.stopped || this.ws || this.connecting) return;
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
    if (this.stopped || this.ws || this.connecting) return;
    this.connecting = true;
    void freshToken()
      .catch(() => token())
      .then((tok) => {
        this.connecting = false;
        if (!this.stopped && !this.ws) this.open(tok);
      });
  }

  private open(tok: string | null): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url(), subprotocols(tok));
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
      this.base.closed?.(ev.code);
      if (this.stopped) return;
      if (ev.code === SESSION_ENDED) {
        // The server ended our session. A renewal it refuses calls the unauthorized handler (the
        // login screen, which stops this socket); one it grants means only the token had aged.
        void renew(tok).then((r) => {
          if (r !== "refused") this.scheduleRetry();
        });
        return;
      }
      // Auth failures close the socket early (policy violation / app code 4403), or the handshake
      // is refused (HTTP 403: the browser reports 1006 without opening).
      const authLike = ev.code === 1008 || ev.code === 4403 || (!opened && this.attempts >= 1);
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
