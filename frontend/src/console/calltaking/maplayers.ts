// On the map for the call in hand: where the phone network places the caller (a circle of its
// uncertainty radius), the incidents the duplicate check names (rings to link the call to), and
// the outline of a place that is an area (a campus, hospital grounds), whose pin is its entrance.
import type { maplibregl } from "../../shared/basemap";
import type { LonLat } from "../../shared/types";

const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

/** A circle of `radius` metres around `center` as a 64-gon (good enough at city scale). */
export function circle(center: LonLat, radius: number, sides = 64): GeoJSON.Polygon {
  const [lon, lat] = center;
  const dLat = radius / 111_320;
  const dLon = radius / (111_320 * Math.cos((lat * Math.PI) / 180));
  const ring: LonLat[] = [];
  for (let i = 0; i <= sides; i++) {
    const a = (2 * Math.PI * i) / sides;
    ring.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: "Polygon", coordinates: [ring] };
}

export class CallLayers {
  private added = false;
  private pendingCaller: GeoJSON.FeatureCollection = EMPTY;
  private pendingDupes: GeoJSON.FeatureCollection = EMPTY;
  private pendingArea: GeoJSON.FeatureCollection = EMPTY;

  constructor(private readonly map: maplibregl.Map) {
    if (map.isStyleLoaded()) this.add();
    else map.once("load", () => this.add());
  }

  private add(): void {
    const m = this.map;
    m.addSource("gh-caller", { type: "geojson", data: this.pendingCaller });
    m.addSource("gh-dupes", { type: "geojson", data: this.pendingDupes });
    m.addSource("gh-area", { type: "geojson", data: this.pendingArea });
    m.addLayer({ id: "gh-area-fill", type: "fill", source: "gh-area", paint: { "fill-color": "#52c41a", "fill-opacity": 0.1 } });
    m.addLayer({ id: "gh-area-line", type: "line", source: "gh-area", paint: { "line-color": "#52c41a", "line-width": 2 } });
    m.addLayer({ id: "gh-caller-fill", type: "fill", source: "gh-caller", paint: { "fill-color": "#1677ff", "fill-opacity": 0.12 } });
    m.addLayer({ id: "gh-caller-line", type: "line", source: "gh-caller", paint: { "line-color": "#1677ff", "line-width": 2, "line-dasharray": [2, 1] } });
    m.addLayer({
      id: "gh-dupes",
      type: "circle",
      source: "gh-dupes",
      paint: { "circle-radius": 14, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#fa8c16", "circle-stroke-width": 3 },
    });
    this.added = true;
  }

  private set(source: "gh-caller" | "gh-dupes" | "gh-area", data: GeoJSON.FeatureCollection): void {
    if (source === "gh-caller") this.pendingCaller = data;
    else if (source === "gh-area") this.pendingArea = data;
    else this.pendingDupes = data;
    if (!this.added) return;
    (this.map.getSource(source) as maplibregl.GeoJSONSource | undefined)?.setData(data);
  }

  /** The caller's network location and its uncertainty; null clears it. */
  setCaller(center: LonLat | null, radius: number | null): void {
    const features: GeoJSON.Feature[] = [];
    if (center) {
      features.push({ type: "Feature", properties: {}, geometry: circle(center, Math.max(radius ?? 0, 15)) });
    }
    this.set("gh-caller", { type: "FeatureCollection", features });
  }

  /** The outline of the area the located address is (null clears it); the map's container
   * says how many points it drew in ``data-call-area`` (0: none). */
  setArea(ring: LonLat[] | null): void {
    const closed = ring && ring.length >= 3 ? ring : null;
    this.map.getContainer().dataset["callArea"] = String(closed?.length ?? 0);
    this.set("gh-area", {
      type: "FeatureCollection",
      features: closed ? [{ type: "Feature", properties: {}, geometry: { type: "Polygon", coordinates: [closed] } }] : [],
    });
  }

  /** The duplicate candidates' locations (id = incident id). */
  setDuplicates(points: { id: number; location: LonLat }[]): void {
    this.set("gh-dupes", {
      type: "FeatureCollection",
      features: points.map((p) => ({ type: "Feature", properties: { id: p.id }, geometry: { type: "Point", coordinates: p.location } })),
    });
  }
}
