// The ED's mass-casualty blocks (issue 17). At the top of its incoming list: the patients of open
// MCIs coming here, counts by triage category only (expected: on a unit bound here, not yet left;
// en route; arrived) from GET /hospitals/{id}/mci/incoming. Under the status form: the surge
// capacity the ED accepts (immediate / delayed / minor, PUT /hospitals/{id}/surge). The ED socket
// carries no MCI events (docs/api.md), so the counts are read every POLL_MS and whenever the
// socket sends its list.
import "./mci.css";

import { h, setText } from "../shared/dom";
import { fill } from "../shared/hospitals";
import { S } from "../shared/i18n";
import { showError, showMessage } from "../shared/panels/message";
import { ApiError } from "../shared/api";
import { CATEGORIES, categoryLabel, declareSurge, mciIncoming, SURGE_CATEGORIES, type MciIncoming } from "../console/panels/mci-api";

const POLL_MS = 5_000;

export interface MciIncomingBlock {
  /** Read the counts now (the socket sent a list: something moved). */
  refresh(): void;
  stop(): void;
}

/** `countsRoot`: the incoming patients' panel (the counts go under its title); `surgeRoot`: the status aside. */
export function mountMciIncoming(countsRoot: HTMLElement, surgeRoot: HTMLElement, hospitalId: number): MciIncomingBlock {
  const body = h("tbody");
  const table = h(
    "table",
    { class: "ed-mci-table", "data-testid": "ed-mci-incoming" },
    h("thead", {}, h("tr", {}, h("th", {}, S.mci.colCategory), h("th", {}, S.mci.expected), h("th", {}, S.mci.enRoute), h("th", {}, S.mci.arrived))),
    body,
  );
  const none = h("div", { class: "sub", "data-testid": "ed-mci-none" }, S.mci.noIncoming);

  const inputs = new Map<string, HTMLInputElement>();
  const fields = SURGE_CATEGORIES.map((c) => {
    const input = h("input", { type: "number", min: 0, max: 1000, step: 1, id: `ed-surge-${c}`, "data-testid": `ed-surge-${c}`, class: "mono", required: true });
    inputs.set(c, input);
    return h("label", { for: `ed-surge-${c}`, class: "ed-ward" }, h("span", {}, h("span", { class: `tri-dot tri-${c}` }), categoryLabel(c)), input);
  });
  const save = h("button", { type: "submit", class: "btn", "data-testid": "ed-surge-save" }, S.mci.surgeSave);
  const surgeNote = h("div", { class: "sub", "data-testid": "ed-surge-current" }, S.mci.surgeDefault);
  const form = h("form", { class: "ed-surge" }, h("h3", {}, S.mci.surge), ...fields, surgeNote, save);

  countsRoot.insertBefore(h("section", { class: "ed-mci", "data-testid": "ed-mci" }, h("h3", {}, S.mci.incoming), none, table), countsRoot.children[1] ?? null);
  surgeRoot.append(h("section", { class: "ed-mci ed-mci-surge" }, form));

  let requestNo = 0;
  const show = (m: MciIncoming) => {
    const rows = new Map(m.rows.map((r) => [r.category, r]));
    const any = m.rows.some((r) => r.expected + r.en_route + r.arrived > 0);
    none.hidden = any;
    table.dataset["incidents"] = m.incident_ids.join(",");
    body.replaceChildren(
      ...CATEGORIES.map((c) => {
        const r = rows.get(c);
        const cells: [string, number][] = [
          ["expected", r?.expected ?? 0],
          ["en_route", r?.en_route ?? 0],
          ["arrived", r?.arrived ?? 0],
        ];
        return h(
          "tr",
          { "data-testid": `ed-mci-row-${c}` },
          h("td", {}, h("span", { class: `tri-dot tri-${c}` }), categoryLabel(c)),
          ...cells.map(([k, n]) => h("td", { class: "mono", "data-testid": `ed-mci-${c}-${k}` }, String(n))),
        );
      }),
    );
  };

  const refresh = () => {
    const mine = ++requestNo;
    mciIncoming(hospitalId)
      .then((m) => {
        if (mine === requestNo) show(m);
      })
      .catch((e: unknown) => {
        // Offline or the server restarting: the next poll tries again; anything else is said once.
        if (mine === requestNo && e instanceof ApiError && e.status !== 0 && e.status < 500 && e.status !== 401) showError(e);
      });
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const n = (c: string) => Math.max(0, Math.round(Number(inputs.get(c)?.value) || 0));
    save.disabled = true;
    declareSurge(hospitalId, { immediate: n("immediate"), delayed: n("delayed"), minor: n("minor") })
      .then((s) => {
        setText(surgeNote, `${categoryLabel("immediate")} ${s.immediate ?? "–"} · ${categoryLabel("delayed")} ${s.delayed ?? "–"} · ${categoryLabel("minor")} ${s.minor ?? "–"}`);
        showMessage(fill(S.mci.surgeSaved, {}), "info");
      })
      .catch(showError)
      .finally(() => (save.disabled = false));
  });

  refresh();
  const timer = window.setInterval(refresh, POLL_MS);
  return { refresh, stop: () => window.clearInterval(timer) };
}
