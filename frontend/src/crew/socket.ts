// The crew socket (/ws/crew): snapshot, orders (dispatch and move-up), events about our
// unit/incident; acks go back. When the server does not offer it (older backend) the handshake
// fails and the app polls.
import { crewSocketUrl } from "../shared/api";
import type { CrewOrderMsg, CrewServerMsg, EventMsg } from "../shared/types";
import { ReconnectingSocket, type BaseHandlers } from "../shared/socket";
import { deviceTime } from "../shared/timeflags";
import type { CrewSnapshot, RelocationMsg } from "./orders";

type Msg = CrewServerMsg | RelocationMsg;

export interface CrewSocketHandlers extends BaseHandlers {
  snapshot(msg: CrewSnapshot): void;
  order(msg: CrewOrderMsg): void;
  relocation(msg: RelocationMsg): void;
  event(msg: EventMsg): void;
  acked(orderId: number, at: string | null): void;
}

export class CrewSocket extends ReconnectingSocket<Msg> {
  constructor(private readonly h: CrewSocketHandlers) {
    super(h, { backoffMaxMs: 30_000 });
  }

  protected url(): string {
    return crewSocketUrl();
  }

  /** `at`: when the crew pressed the button (this device's clock); now when not given. */
  ack(orderId: number, at: string = new Date().toISOString()): boolean {
    return this.send({ type: "ack", order_id: orderId, ...deviceTime(at) });
  }

  /** Tell the server this device's clock, so it can correct the times we send (docs/times.md). */
  protected override opened(): void {
    this.send({ type: "hello", clock: new Date().toISOString() });
  }

  protected handle(ws: WebSocket, msg: Msg): void {
    switch (msg.type) {
      case "snapshot":
        this.healthy();
        this.h.snapshot(msg);
        this.setState("connected");
        break;
      case "order":
        this.healthy();
        this.setState("connected");
        this.h.order(msg);
        break;
      case "relocation":
        this.healthy();
        this.setState("connected");
        this.h.relocation(msg);
        break;
      case "event":
        this.healthy();
        this.setState("connected");
        this.h.event(msg);
        break;
      case "acked":
      case "ack":
        this.h.acked(msg.order_id, msg.acknowledged_at ?? null);
        break;
      case "resync":
        // The crew stream has no resume: a fresh connection brings a fresh snapshot.
        this.reconnectNow(ws);
        break;
      default:
        break;
    }
  }
}
