// Phone lines ringing and in progress, live from the console socket (PhoneRinging, PhoneAnswered,
// PhoneHungUp events carry the whole call) and read again whenever the socket takes a snapshot.
// F2 answers the line that has rung longest; each line also has its own Answer button.
import { h } from "../../shared/dom";
import { clock, since } from "../../shared/format";
import { S } from "../../shared/i18n";
import { showError } from "../../shared/panels/message";
import { beep } from "../../shared/sound";
import { answerCall, liveCalls, type PhoneCall } from "./api";

const ORDER: Record<string, number> = { ringing: 0, answered: 1, ended: 2 };
const PHONE_EVENTS: ReadonlySet<string> = new Set(["PhoneRinging", "PhoneAnswered", "PhoneHungUp"]);

export interface Lines {
  /** A console socket event; true when it was about a phone line. */
  event(name: string, data: Record<string, unknown>): boolean;
  /** Read the lines again (after a snapshot: events may have been missed). */
  reload(): void;
  /** Answer the line ringing longest; false when none rings. */
  answerNext(): boolean;
  tick(): void;
}

export function mountLines(root: HTMLElement, answered: (call: PhoneCall) => void): Lines {
  const calls = new Map<number, PhoneCall>();
  const list = h("ul", { class: "phone-lines", "data-testid": "phone-lines" });
  const empty = h("p", { class: "hint", "data-testid": "phone-lines-empty" }, S.callTaking.noLines);
  root.append(h("div", { class: "panel-title" }, h("h2", {}, S.callTaking.lines), h("kbd", { title: S.callTaking.answerKey }, "F2")), list, empty);

  /** Keep the most advanced state of a call (a stale list read never undoes an event). */
  const upsert = (c: PhoneCall): boolean => {
    const have = calls.get(c.id);
    if (have && (ORDER[have.state] ?? 0) > (ORDER[c.state] ?? 0)) return false;
    if (c.state === "ended") calls.delete(c.id);
    else calls.set(c.id, c);
    return true;
  };

  const answer = (c: PhoneCall) => {
    answerCall(c.id)
      .then((a) => {
        upsert(a);
        render();
        answered(a);
      })
      .catch(showError);
  };

  const render = () => {
    const sorted = [...calls.values()].sort((a, b) => (ORDER[a.state] ?? 0) - (ORDER[b.state] ?? 0) || a.started_at.localeCompare(b.started_at));
    list.replaceChildren(
      ...sorted.map((c) => {
        const who = c.caller?.number ?? S.callTaking.withheld;
        const name = c.caller?.name ? ` · ${c.caller.name}` : "";
        const where = c.caller?.location
          ? `${S.callTaking.networkLocation} ±${Math.round(c.caller.accuracy_m ?? 0)} m`
          : S.callTaking.noNetworkLocation;
        const btn = h("button", { type: "button", class: "btn small primary", "data-testid": `line-answer-${c.id}` }, S.callTaking.answer);
        btn.addEventListener("click", () => answer(c));
        return h(
          "li",
          { class: `phone-line ${c.state}`, "data-testid": `line-${c.id}`, "data-state": c.state },
          h("span", { class: "line-id mono" }, c.line),
          h("span", { class: "line-who mono", "data-testid": `line-number-${c.id}` }, who + name),
          h("span", { class: "line-where" }, where),
          h("span", { class: "line-age mono", "data-started": c.started_at }, c.state === "ringing" ? since(c.started_at) : `${S.callTaking.answeredBy} ${c.answered_by ?? ""} ${clock(c.answered_at)}`),
          c.state === "ringing" ? btn : null,
        );
      }),
    );
    empty.hidden = calls.size > 0;
  };
  render();

  return {
    event(name, data) {
      if (!PHONE_EVENTS.has(name)) return false;
      const c = data["phone_call"] as PhoneCall | undefined;
      if (c && upsert(c)) {
        render();
        if (name === "PhoneRinging") beep([[880, 120], [660, 120], [880, 120]]);
      }
      return true;
    },
    reload() {
      liveCalls()
        .then((list) => {
          for (const c of list) upsert(c);
          const live = new Set(list.map((c) => c.id));
          for (const id of [...calls.keys()]) if (!live.has(id)) calls.delete(id);
          render();
        })
        .catch(() => undefined);
    },
    answerNext() {
      const next = [...calls.values()].filter((c) => c.state === "ringing").sort((a, b) => a.started_at.localeCompare(b.started_at))[0];
      if (!next) return false;
      answer(next);
      return true;
    },
    tick() {
      for (const el of list.querySelectorAll<HTMLElement>(".phone-line.ringing .line-age")) {
        el.textContent = since(el.dataset["started"] ?? null);
      }
    },
  };
}
