// The console's WebSocket client (`/ws/console`): `ConsoleSocket` adds the console protocol to the shared
// `ReconnectingSocket`: snapshot + seq-numbered events, `?since=` resume.
import { consoleSocketUrl } from "../shared/api";
import { ReconnectingSocket, type BaseHandlers } from "../shared/socket";
import type { EventMsg, PositionsMsg, ServerMsg, SnapshotMsg } from "../shared/types";

export interface SocketHandlers extends BaseHandlers {
  snapshot(msg: SnapshotMsg): void;
  event(msg: EventMsg): void;
  positions(msg: PositionsMsg): void;
  error(detail: string): void;
  resync(reason: string): void;
}

export class ConsoleSocket extends ReconnectingSocket<ServerMsg> {
  private lastSeq: number | null = null;
  private gapRetriedAt: number | null = null;

  constructor(private readonly h: SocketHandlers) {
    super(h);
    this.measureName = "gh:ws-batch";
  }

  get seq(): number | null {
    return this.lastSeq;
  }

  override stop(): void {
    super.stop();
    this.lastSeq = null;
  }

  protected url(): string {
    return consoleSocketUrl(this.lastSeq);
  }

  // Without `since` we are live once the snapshot arrives; with it, as soon as we are open.
  protected override opened(): void {
    if (this.lastSeq !== null) this.setState("connected");
  }

  protected handle(ws: WebSocket, msg: ServerMsg): void {
    switch (msg.type) {
      case "snapshot":
        this.healthy();
        this.lastSeq = msg.seq;
        this.h.snapshot(msg);
        this.setState("connected");
        break;
      case "event":
        this.healthy();
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
      case "positions":
        this.h.positions(msg);
        break;
      case "pong":
        break;
    }
  }
}
