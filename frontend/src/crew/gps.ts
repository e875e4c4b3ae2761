// GPS through navigator.geolocation.watchPosition, with a visible state for the crew.
import type { LonLat } from "../shared/types";

export type GpsState = "off" | "waiting" | "ok" | "denied" | "unavailable" | "unsupported";

export interface Fix {
  position: LonLat;
  accuracy: number | null;
  /** When the device took the fix (ms since epoch). */
  at: number;
}

export class Gps {
  state: GpsState = "off";
  last: Fix | null = null;
  private watchId: number | null = null;

  constructor(
    private readonly onFix: (fix: Fix) => void,
    private readonly onState: (state: GpsState) => void,
  ) {}

  start(): void {
    if (!("geolocation" in navigator)) {
      this.set("unsupported");
      return;
    }
    if (this.watchId !== null) return;
    this.set("waiting");
    this.watchId = navigator.geolocation.watchPosition(
      (p) => this.fix(p),
      (e) => this.error(e),
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: 30_000 },
    );
  }

  stop(): void {
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId);
    this.watchId = null;
    this.set("off");
  }

  /** Ask for a fresh fix now (the manual "report position" button). */
  current(): Promise<Fix> {
    return new Promise((resolve, reject) => {
      if (!("geolocation" in navigator)) {
        this.set("unsupported");
        reject(new Error("unsupported"));
        return;
      }
      navigator.geolocation.getCurrentPosition(
        (p) => resolve(this.fix(p)),
        (e) => {
          this.error(e);
          reject(new Error(e.message));
        },
        { enableHighAccuracy: true, maximumAge: 2_000, timeout: 15_000 },
      );
    });
  }

  private fix(p: GeolocationPosition): Fix {
    const fix: Fix = {
      position: [p.coords.longitude, p.coords.latitude],
      accuracy: Number.isFinite(p.coords.accuracy) ? p.coords.accuracy : null,
      at: p.timestamp || Date.now(),
    };
    this.last = fix;
    this.set("ok");
    this.onFix(fix);
    return fix;
  }

  private error(e: GeolocationPositionError): void {
    if (e.code === e.PERMISSION_DENIED) this.set("denied");
    else this.set(this.last ? "ok" : "unavailable"); // a timeout keeps the last fix usable
  }

  private set(s: GpsState): void {
    if (this.state === s) return;
    this.state = s;
    this.onState(s);
  }
}
