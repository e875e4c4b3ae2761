// The repeat-caller and duplicate prompt: before a call becomes a new incident, open incidents
// near it with a similar complaint, and earlier calls from the same number, are named in a list
// (and ringed on the map). F4 links this call to the first candidate; each has a Link button.
import { h } from "../../shared/dom";
import { duration } from "../../shared/format";
import { S, t } from "../../shared/i18n";
import type { LonLat } from "../../shared/types";
import type { IntakeCheck } from "./api";

type Candidate = IntakeCheck["duplicates"][number];

export interface Duplicates {
  readonly root: HTMLElement;
  show(found: IntakeCheck): void;
  clear(): void;
  /** The incident F4 links to (the best candidate); null when the prompt is empty. */
  first(): number | null;
}

export function mountDuplicates(link: (incidentId: number) => void, drawn: (points: { id: number; location: LonLat }[]) => void): Duplicates {
  const list = h("ul", { class: "dup-list" });
  const repeat = h("p", { class: "dup-repeat", hidden: true, "data-testid": "repeat-caller" });
  const root = h(
    "div",
    { class: "dup-prompt", hidden: true, role: "alert", "data-testid": "duplicate-prompt" },
    h("div", { class: "panel-title" }, h("strong", {}, S.callTaking.duplicates), h("span", { class: "spacer" }), h("kbd", { title: S.callTaking.linkKey }, "F4")),
    repeat,
    list,
  );
  let candidates: Candidate[] = [];
  let repeatIds: number[] = [];

  const row = (d: Candidate, i: number) => {
    const btn = h("button", { type: "button", class: `btn small${i === 0 ? " primary" : ""}`, "data-testid": `dup-link-${d.incident.id}` }, S.callTaking.link);
    btn.addEventListener("click", () => link(d.incident.id));
    return h(
      "li",
      { "data-testid": `dup-candidate-${d.incident.id}`, class: i === 0 ? "first" : "" },
      h("span", { class: `prio p${d.incident.priority}` }, t("priorityLabel", { priority: d.incident.priority })),
      h("span", { class: "mono" }, d.incident.number),
      h("span", { class: "grow" }, d.incident.address ?? d.incident.complaint),
      h("span", { class: "mono hint" }, `${Math.round(d.distance_m)} m · ${duration(d.age_s)}`),
      btn,
    );
  };

  return {
    root,
    show(found) {
      candidates = found.duplicates;
      list.replaceChildren(...candidates.map(row));
      // Earlier calls from this number about an incident the list does not already name.
      const named = new Set(candidates.map((d) => d.incident.id));
      const earlier = [...new Set(found.repeat_calls.map((r) => r.incident_id))].filter((id) => !named.has(id));
      repeatIds = earlier;
      repeat.hidden = found.repeat_calls.length === 0;
      repeat.replaceChildren(
        S.callTaking.repeatCaller.replace("{count}", String(found.repeat_calls.length)),
        ...earlier.map((id) => {
          const btn = h("button", { type: "button", class: "btn small", "data-testid": `dup-link-${id}` }, `${S.callTaking.link} #${id}`);
          btn.addEventListener("click", () => link(id));
          return btn;
        }),
      );
      root.hidden = candidates.length === 0 && found.repeat_calls.length === 0;
      drawn(candidates.filter((d) => d.incident.location).map((d) => ({ id: d.incident.id, location: d.incident.location as LonLat })));
    },
    clear() {
      candidates = [];
      repeatIds = [];
      list.replaceChildren();
      root.hidden = true;
      drawn([]);
    },
    first() {
      return candidates[0]?.incident.id ?? repeatIds[0] ?? null;
    },
  };
}
