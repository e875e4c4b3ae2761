// The ED's list of incoming patients: priority, what is wrong (complaint, determinant, the
// capability needed), the unit, a live ETA, and the acknowledge button. The server resends the
// list every 10 s with a fresh road ETA; between messages the ETA counts down here.
import { h, setText } from "../shared/dom";
import { clock, duration } from "../shared/format";
import { S } from "../shared/i18n";
import { capabilityLabel, fill, type IncomingPatient } from "../shared/hospitals";

export interface IncomingList {
  show(patients: IncomingPatient[], receivedAt: number): void;
  /** Once a second: the ETA countdowns. */
  tick(now: number): void;
}

export function mountIncoming(root: HTMLElement, acknowledge: (p: IncomingPatient, btn: HTMLButtonElement) => void): IncomingList {
  const list = h("div", { class: "scroll", "data-testid": "ed-incoming" });
  root.append(h("div", { class: "panel-title" }, h("h2", {}, S.hospitalLoop.incoming)), list);
  let etas: { el: HTMLElement; at: HTMLElement; eta: number | null }[] = [];
  let received = 0;

  const etaText = (eta: number | null, now: number): [string, string] => {
    if (eta === null) return [S.hospitalLoop.noEta, ""];
    const left = Math.max(0, eta - (now - received) / 1000);
    return [fill(S.hospitalLoop.arrivesIn, { eta: duration(left) }), fill(S.hospitalLoop.arrivingAt, { clock: clock(new Date(now + left * 1000)) })];
  };

  const card = (p: IncomingPatient, now: number): HTMLElement => {
    const [inText, atText] = etaText(p.eta_s, now);
    const eta = h("strong", { class: "ed-eta mono", "data-testid": `ed-eta-${p.incident_id}` }, inText);
    const at = h("span", { class: "sub" }, atText);
    etas.push({ el: eta, at, eta: p.eta_s });
    const acked = p.acknowledged_at !== null;
    const ack = h(
      "button",
      { type: "button", class: `btn ${acked ? "" : "primary"}`, "data-testid": `ed-ack-${p.incident_id}`, "data-acked": String(acked) },
      acked ? fill(S.hospitalLoop.acknowledged, { time: clock(p.acknowledged_at) }) : S.hospitalLoop.acknowledge,
    );
    ack.disabled = acked;
    ack.addEventListener("click", () => acknowledge(p, ack));
    const what = [p.complaint, p.determinant].filter((x): x is string => Boolean(x)).join(" · ");
    return h(
      "div",
      { class: `ed-card p${p.priority}${acked ? " acked" : ""}`, "data-testid": `ed-patient-${p.incident_id}` },
      h(
        "div",
        { class: "ed-line" },
        h("span", { class: `prio p${p.priority}`, "data-testid": `ed-priority-${p.incident_id}` }, fill(S.hospitalLoop.priority, { p: p.priority })),
        h("span", { class: "ed-what", "data-testid": `ed-summary-${p.incident_id}` }, what || "—"),
        eta,
      ),
      h(
        "div",
        { class: "ed-line sub" },
        h("span", {}, `${S.hospitalLoop.unit} ${p.unit} · ${S.statuses[p.unit_status] ?? p.unit_status} · #${p.incident_number}`),
        p.needs ? h("span", { class: "badge" }, capabilityLabel(p.needs)) : null,
        at,
      ),
      h("div", { class: "ed-line" }, ack),
    );
  };

  const show = (patients: IncomingPatient[], receivedAt: number) => {
    received = receivedAt;
    etas = [];
    if (patients.length === 0) {
      list.replaceChildren(h("div", { class: "empty", "data-testid": "ed-none" }, S.hospitalLoop.noIncoming));
      return;
    }
    // Soonest first; unknown ETAs last.
    const sorted = [...patients].sort((a, b) => (a.eta_s ?? Infinity) - (b.eta_s ?? Infinity) || a.priority - b.priority);
    list.replaceChildren(...sorted.map((p) => card(p, receivedAt)));
  };

  const tick = (now: number) => {
    for (const e of etas) {
      const [inText, atText] = etaText(e.eta, now);
      setText(e.el, inText);
      setText(e.at, atText);
    }
  };

  return { show, tick };
}
