// The console map's Blood layer (issue 19), switched by the "Blood" button over the map
// (data-testid="blood-layer-toggle", off by default, remembered per browser): the blood banks, the
// hospitals with open blood requests (the count, the most urgent one's colour) and the registered
// couriers where they are. A handful of HTML markers (banks, hospitals and couriers are few), kept
// apart from the unit layer; couriers follow the store's positions at most once a second.
import { maplibregl } from "../../shared/basemap";
import { h } from "../../shared/dom";
import { fill } from "../../shared/hospitals";
import { S } from "../../shared/i18n";
import * as blood from "../../shared/blood";
import type { DispatchMap } from "../map";
import { store } from "../state";
import type { BloodData, BloodPanelControl } from "./blood";

const KEY = "gh.bloodLayer";
const COURIER_MIN_MS = 1000;

export function mountBloodLayer(parent: HTMLElement, map: DispatchMap, panel: BloodPanelControl): void {
  const toggle = h("button", { type: "button", class: "btn small map-btn", "data-testid": "blood-layer-toggle", "aria-pressed": "false", title: S.blood.layerTitle }, S.blood.layer);
  parent.append(h("div", { class: "map-tools blood-map-tools" }, toggle));

  let on = false;
  let data: BloodData | null = null;
  let places: maplibregl.Marker[] = [];
  const couriers = new Map<number, maplibregl.Marker>();
  let courierTimer: number | undefined;
  let courierAt = 0;

  // Offsets keep the request badge and the courier tag beside the hospital and unit markers.
  const marker = (el: HTMLElement, at: [number, number], offset: [number, number] = [0, 0]) =>
    new maplibregl.Marker({ element: el, offset }).setLngLat(at).addTo(map.map);

  const drawPlaces = () => {
    for (const m of places) m.remove();
    places = [];
    if (!on || !data) return;
    for (const b of data.banks.values()) {
      const el = h("div", { class: "mk blood-mk blood-mk-bank", "data-testid": `blood-map-bank-${b.id}`, title: b.name }, h("span", { class: "blood-drop" }));
      places.push(marker(el, b.location));
    }
    const open = data.requests.filter(blood.isOpen);
    const byHospital = new Map<number, blood.BloodRequest[]>();
    for (const r of open) byHospital.set(r.hospital_id, [...(byHospital.get(r.hospital_id) ?? []), r]);
    for (const [id, rs] of byHospital) {
      const hosp = data.hospitals.get(id);
      if (!hosp) continue;
      const worst = rs.map((r) => blood.URGENCIES.indexOf(r.urgency)).reduce((a, b) => Math.min(a, b), 2);
      const title = `${hosp.name}: ${rs.map((r) => `${blood.what(r)} (${blood.urgencyLabel(r.urgency)})`).join("; ")}`;
      const el = h("div", { class: `mk blood-mk blood-mk-request urg-${blood.URGENCIES[worst]}`, "data-testid": `blood-map-request-${id}`, title }, String(rs.length));
      places.push(marker(el, hosp.location, [14, -14]));
    }
    drawCouriers();
  };

  const drawCouriers = () => {
    window.clearTimeout(courierTimer);
    courierTimer = undefined;
    courierAt = performance.now();
    const wanted = new Set(on && data ? data.couriers.map((c) => c.unit_id) : []);
    for (const [id, m] of couriers) {
      if (!wanted.has(id) || !store.units.get(id)?.position) {
        m.remove();
        couriers.delete(id);
      }
    }
    for (const id of wanted) {
      const u = store.units.get(id);
      if (!u?.position) continue;
      const had = couriers.get(id);
      if (had) had.setLngLat(u.position);
      else {
        const el = h("div", { class: "mk blood-mk blood-mk-courier", "data-testid": `blood-map-courier-${id}`, title: `${S.blood.courier} ${u.call_sign ?? fill(S.blood.unitNo, { id })}` }, "✚");
        couriers.set(id, marker(el, u.position, [-16, -16]));
      }
    }
  };

  const set = (next: boolean) => {
    on = next;
    toggle.setAttribute("aria-pressed", String(on));
    toggle.classList.toggle("active", on);
    try {
      localStorage.setItem(KEY, on ? "1" : "0");
    } catch {
      /* storage disabled */
    }
    drawPlaces();
  };

  toggle.addEventListener("click", () => set(!on));
  panel.onChange((d) => {
    data = d;
    if (on) drawPlaces();
  });
  store.subscribe((changes) => {
    if (!on || !(changes.has("positions") || changes.has("units")) || courierTimer !== undefined) return;
    const wait = courierAt + COURIER_MIN_MS - performance.now();
    if (wait <= 0) drawCouriers();
    else courierTimer = window.setTimeout(drawCouriers, wait);
  });
  let saved = false;
  try {
    saved = localStorage.getItem(KEY) === "1";
  } catch {
    /* storage disabled */
  }
  if (saved) set(true);
}
