// Coverage layer switch (data-testid="coverage-toggle") and legend ("coverage-legend") over the map:
// isochrones from the available units (GET /coverage, 8 and 12 minutes), refreshed every 30 s while
// shown and shortly after unit status changes; the legend shows the share of roads each covers.
import * as api from "../../shared/api";
import { h } from "../../shared/dom";
import { S, t } from "../../shared/i18n";
import { coverageColor, type DispatchMap } from "../map";
import type { Coverage } from "../../shared/types";
import { showError } from "../../shared/panels/message";

const MINUTES = [8, 12];
const REFRESH_MS = 30_000;
const KEY = "gh.coverage";

export interface CoverageControl {
  /** Unit statuses changed: refresh soon (debounced) when the layer is shown. */
  unitsChanged(): void;
}

export function mountCoverage(parent: HTMLElement, map: DispatchMap): CoverageControl {
  const toggle = h(
    "button",
    { type: "button", class: "btn small map-btn", "data-testid": "coverage-toggle", "aria-pressed": "false", title: S.coverageTitle },
    S.coverage,
  );
  const legend = h("div", { class: "map-legend", "data-testid": "coverage-legend", hidden: true });
  parent.append(h("div", { class: "map-tools" }, toggle), legend);

  let on = false;
  let timer: number | undefined;
  let soon: number | undefined;
  let requestNo = 0;

  const renderLegend = (c: Coverage) => {
    const sorted = [...c.features].sort((a, b) => a.properties.seconds - b.properties.seconds);
    const rows = sorted.map((f, i) => {
      const share = f.properties.road_share;
      const pct = share === null || share === undefined ? "–" : `${Math.round(share * 100)}%`;
      return h(
        "div",
        { class: "legend-row", "data-minutes": f.properties.minutes, "data-road-share": share ?? "" },
        h("span", { class: "swatch", style: `background:${coverageColor(i)}` }),
        h("span", { class: "strong" }, t("coverageMinutes", { minutes: f.properties.minutes })),
        h("span", {}, t("coverageRoads", { share: pct })),
      );
    });
    legend.replaceChildren(
      h("div", { class: "legend-title" }, S.coverage, " · ", t("coverageUnits", { n: c.available_units })),
      ...(rows.length ? rows : [h("div", { class: "sub" }, S.coverageNone)]),
    );
    legend.dataset["availableUnits"] = String(c.available_units);
  };

  const load = () => {
    window.clearTimeout(timer);
    if (!on) return;
    const mine = ++requestNo;
    legend.classList.add("loading");
    api
      .coverage(MINUTES)
      .then((c) => {
        if (!on || mine !== requestNo) return;
        map.setCoverage(c);
        renderLegend(c);
        legend.dataset["loaded"] = new Date().toISOString();
      })
      .catch((e: unknown) => {
        if (mine === requestNo) showError(e);
      })
      .finally(() => {
        if (mine !== requestNo) return;
        legend.classList.remove("loading");
        if (on) timer = window.setTimeout(load, REFRESH_MS);
      });
  };

  const set = (value: boolean) => {
    on = value;
    toggle.setAttribute("aria-pressed", String(on));
    toggle.classList.toggle("active", on);
    legend.hidden = !on;
    try {
      localStorage.setItem(KEY, on ? "1" : "0");
    } catch {
      /* storage disabled */
    }
    if (on) {
      legend.replaceChildren(h("div", { class: "legend-title" }, S.coverage, " …"));
      load();
    } else {
      requestNo += 1;
      window.clearTimeout(timer);
      window.clearTimeout(soon);
      map.setCoverage(null);
    }
  };
  toggle.addEventListener("click", () => set(!on));
  try {
    if (localStorage.getItem(KEY) === "1") set(true);
  } catch {
    /* storage disabled */
  }

  return {
    unitsChanged() {
      if (!on) return;
      window.clearTimeout(soon);
      soon = window.setTimeout(load, 2000);
    },
  };
}
