// The public-health signals panel (issue 18, data-testid="signals-panel") and its map layer: the
// open signals of the server's watch (syndrome, level, observed vs expected calls, method, since
// when, how many areas), newest first; a click flies the map to the signal's area. The areas are
// shaded on the map (amber: warning, red: alert). A supervisor acknowledges a signal with a note
// (what was done, who was told) and can ask for a round of the watch now; a dispatcher reads.
// Read at start, every minute, and on the Signal* events of /ws/console. Hidden for a dispatcher
// while there is nothing to show; a supervisor always sees it ("No open signals").
import "./signals.css";

import { h, setText } from "../../shared/dom";
import { S, t } from "../../shared/i18n";
import { showError, showMessage } from "../../shared/panels/message";
import {
  acknowledgeSignal,
  methodLabel,
  observedText,
  openSignals,
  runWatch,
  SIGNAL_EVENTS,
  syndromeLabel,
  type Signal,
} from "../../shared/surveillance";
import type { EventMsg, LonLat } from "../../shared/types";

const REFRESH_MS = 60_000;

export interface SignalsMap {
  setSignals(signals: Signal[]): void;
  flyTo(loc: LonLat, zoom?: number): void;
}

export interface SignalsPanel {
  event(msg: EventMsg): void;
  /** The login changed (a supervisor may acknowledge): read again and redraw. */
  reload(supervisor: boolean): void;
}

export function mountSignals(root: HTMLElement, map: SignalsMap): SignalsPanel {
  const count = h("span", { class: "badge", "data-testid": "signals-count" }, "0");
  const run = h("button", { type: "button", class: "btn small", "data-testid": "signals-run", hidden: true, title: S.surveillance.runTitle }, S.surveillance.run);
  const list = h("div", { class: "scroll", "data-testid": "signals-list" });
  root.append(h("div", { class: "panel-head" }, h("h2", {}, S.surveillance.panel), count, run), list);
  root.hidden = true;

  let supervisor = false;
  let shown: Signal[] = [];
  let timer: number | undefined;
  let requestNo = 0;
  const drafts = new Map<number, string>(); // notes being typed survive a redraw

  const row = (s: Signal): HTMLElement => {
    const level = s.level === "alert" ? S.surveillance.levels.alert : S.surveillance.levels.warning;
    const el = h(
      "div",
      {
        class: `signal-row level-${s.level}`,
        "data-testid": `signal-row-${s.id}`,
        "data-level": s.level,
        "data-syndrome": s.syndrome,
        "data-method": s.method,
        title: S.surveillance.flyTitle,
      },
      h(
        "div",
        { class: "signal-head" },
        h("span", { class: "signal-name" }, syndromeLabel(s)),
        h("span", { class: `signal-level level-${s.level}` }, level),
      ),
      h("div", { class: "sub", "data-testid": `signal-observed-${s.id}` }, observedText(s)),
      h(
        "div",
        { class: "sub" },
        t("signalSince", { day: s.since }),
        " · ",
        methodLabel(s.method),
        " · ",
        t("signalAreas", { n: s.areas.length }),
      ),
    );
    const first = s.areas[0];
    el.addEventListener("click", (e) => {
      if ((e.target as HTMLElement).closest("input, button")) return;
      if (first) map.flyTo(first.centre, 12);
    });
    if (s.acknowledged_at) {
      el.append(
        h("div", { class: "signal-acked", "data-testid": `signal-acked-${s.id}` }, t("signalAcknowledged", { by: s.acknowledged_by ?? "", note: s.acknowledge_note ?? "" })),
      );
    } else if (supervisor) {
      const note = h("input", {
        type: "text",
        maxlength: 2000,
        placeholder: S.surveillance.notePlaceholder,
        "aria-label": S.surveillance.notePlaceholder,
        "data-testid": `signal-note-${s.id}`,
        value: drafts.get(s.id) ?? "",
      });
      note.addEventListener("input", () => drafts.set(s.id, note.value));
      const ack = h("button", { type: "button", class: "btn small", "data-testid": `signal-ack-${s.id}` }, S.surveillance.acknowledge);
      const send = () => {
        const text = note.value.trim();
        if (!text) {
          showMessage(S.surveillance.noteNeeded, "error");
          note.focus();
          return;
        }
        ack.disabled = true;
        acknowledgeSignal(s.id, text)
          .then(() => {
            drafts.delete(s.id);
            showMessage(S.surveillance.acknowledged, "info");
            load();
          })
          .catch((err: unknown) => {
            ack.disabled = false;
            showError(err);
          });
      };
      ack.addEventListener("click", send);
      note.addEventListener("keydown", (e) => {
        if (e.key === "Enter") send();
      });
      el.append(h("div", { class: "signal-ack" }, note, ack));
    }
    return el;
  };

  const render = () => {
    setText(count, String(shown.length));
    count.classList.toggle("warn", shown.some((s) => s.level === "alert"));
    run.hidden = !supervisor;
    root.hidden = !supervisor && shown.length === 0;
    root.dataset["signals"] = String(shown.length);
    list.replaceChildren(...(shown.length ? shown.map(row) : [h("div", { class: "sub", "data-testid": "signals-none" }, S.surveillance.none)]));
    map.setSignals(shown);
    root.dataset["mapAreas"] = String(shown.reduce((n, s) => n + s.areas.length, 0));
  };

  const load = () => {
    window.clearTimeout(timer);
    const mine = ++requestNo;
    openSignals()
      .then((found) => {
        if (mine !== requestNo) return;
        shown = found;
        render();
        root.dataset["loaded"] = new Date().toISOString();
      })
      .catch(() => undefined) // the next minute tries again; the socket shows the connection state
      .finally(() => {
        if (mine === requestNo) timer = window.setTimeout(load, REFRESH_MS);
      });
  };

  run.addEventListener("click", () => {
    run.disabled = true;
    runWatch()
      .then((r) => {
        showMessage(t("signalRoundDone", { raised: r.raised.length, open: shown.length }), "info");
        load();
      })
      .catch(showError)
      .finally(() => {
        run.disabled = false;
      });
  });

  return {
    event(msg) {
      if (!SIGNAL_EVENTS.has(msg.name)) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(load, 300); // a round records several events: read once
    },
    reload(isSupervisor) {
      supervisor = isSupervisor;
      render();
      load();
    },
  };
}
