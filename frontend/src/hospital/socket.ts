// The ED socket (/ws/hospital): the whole list of patients coming to this ED, resent on every
// change and every 10 s (live ETAs). No event stream to resume: each message replaces the last.
import { ReconnectingSocket, type BaseHandlers } from "../shared/socket";
import { hospitalSocketUrl, type InboundMsg } from "../shared/hospitals";

type Msg = InboundMsg | { type: "pong" } | { type: "error"; detail?: string };

export interface HospitalSocketHandlers extends BaseHandlers {
  inbound(msg: InboundMsg): void;
}

export class HospitalSocket extends ReconnectingSocket<Msg> {
  constructor(private readonly h: HospitalSocketHandlers) {
    super(h);
  }

  protected url(): string {
    return hospitalSocketUrl();
  }

  protected handle(_ws: WebSocket, msg: Msg): void {
    if (msg.type !== "inbound") return;
    this.healthy();
    this.h.inbound(msg);
    this.setState("connected");
  }
}
