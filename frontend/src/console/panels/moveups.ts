// Move-up suggestions (GET /moveups): post a free unit at another station to close a coverage gap,
// one click each (POST /units/{id}/relocate). Refreshed every 30 s and, debounced, after unit
// status changes.
import { loadSession, moveups, relocate, stations } from "../../shared/api";
import { h } from "../../shared/dom";
import { duration } from "../../shared/format";
import { S, t } from "../../shared/i18n";
import { store } from "../state";
import type { MoveUp, Unit } from "../../shared/types";
import { showError, showMessage } from "../../shared/panels/message";

/** Periodic refresh. */
const REFRESH_MS = 30_000;
/** Unit status changes refresh the list at most this soon after the first of a burst. */
const STATUS_DEBOUNCE_MS = 5_000;

export interface MoveUps {
  reload(): void;
  /** Unit statuses changed: refresh after STATUS_DEBOUNCE_MS (a burst gives one request). */
  unitsChanged(): void;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The "why" of a move from its explanation: coverage before → after, the zone it covers. */
export function moveupReason(m: MoveUp): string {
  const ex = m.explanation ?? {};
  const parts: string[] = [];
  if (typeof ex.coverage_before === "number" && typeof ex.coverage_after === "number") {
    parts.push(t("moveupCoverage", { before: pct(ex.coverage_before), after: pct(ex.coverage_after) }));
  }
  const zone = ex.zone_protected?.name;
  if (zone) parts.push(t("moveupProtects", { zone }));
  return parts.join(", ");
}

export function mountMoveUps(root: HTMLElement, onRelocated: (u: Unit) => void): MoveUps {
  const list = h("div", { class: "scroll", "data-testid": "moveups" });
  root.append(h("div", { class: "panel-title", title: S.moveupsTitle }, h("h2", {}, S.moveups)), list);

  const stationNames = new Map<number, string>();
  let stationsLoaded = false;
  let requestNo = 0;
  let debounce: number | undefined;
  let ordering = false;

  const loadStations = async () => {
    if (stationsLoaded) return;
    try {
      for (const s of await stations()) stationNames.set(s.id, s.name);
      stationsLoaded = true;
    } catch {
      /* names fall back to the explanation; retried on the next refresh */
    }
  };

  const render = (moves: MoveUp[]) => {
    if (moves.length === 0) {
      list.replaceChildren(h("div", { class: "empty", "data-testid": "moveups-empty" }, S.moveupsEmpty));
      return;
    }
    list.replaceChildren(
      ...moves.map((m) => {
        const sign = store.units.get(m.unit_id)?.call_sign ?? m.explanation?.unit ?? `#${m.unit_id}`;
        const station = stationNames.get(m.station_id) ?? m.explanation?.to_station ?? `#${m.station_id}`;
        const reason = moveupReason(m);
        const btn = h("button", { type: "button", class: "btn primary small", "data-testid": `moveup-order-${m.unit_id}` }, S.moveupOrder);
        btn.addEventListener("click", () => order(m, sign, station, btn));
        return h(
          "div",
          { class: "moveup", "data-testid": `moveup-${m.unit_id}`, "data-unit-id": m.unit_id, "data-station-id": m.station_id },
          h(
            "div",
            { class: "moveup-text" },
            t("moveupLine", { unit: sign, station, drive: duration(m.travel_s) }),
            reason ? h("span", { class: "sub" }, ` — ${reason}`) : null,
          ),
          btn,
        );
      }),
    );
  };

  const reload = () => {
    window.clearTimeout(debounce);
    debounce = undefined;
    if (!loadSession() || ordering) return;
    const mine = ++requestNo;
    root.classList.add("loading");
    Promise.all([loadStations(), moveups()])
      .then(([, res]) => {
        if (mine === requestNo) render(res.moves ?? []);
      })
      .catch((e: unknown) => {
        if (mine === requestNo) showError(e);
      })
      .finally(() => {
        if (mine === requestNo) root.classList.remove("loading");
      });
  };

  const order = (m: MoveUp, sign: string, station: string, btn: HTMLButtonElement) => {
    ordering = true;
    requestNo++; // a refresh in flight must not redraw over the order
    for (const b of list.querySelectorAll("button")) b.disabled = true;
    btn.textContent = S.moveupOrdering;
    relocate(m.unit_id, m.station_id)
      .then((u) => {
        onRelocated(u);
        showMessage(t("moveupOrdered", { unit: u.call_sign ?? sign, station }), "info");
      })
      .catch((e: unknown) => showError(e))
      .finally(() => {
        ordering = false;
        reload();
      });
  };

  const unitsChanged = () => {
    if (debounce !== undefined) return;
    debounce = window.setTimeout(reload, STATUS_DEBOUNCE_MS);
  };

  window.setInterval(() => {
    if (debounce === undefined) reload();
  }, REFRESH_MS);

  return { reload, unitsChanged };
}
