// User Timing helpers: the console marks how long it spends on each WebSocket message
// ("gh:ws-batch") and on each coalesced render ("gh:render"), so a browser harness can measure
// them with a PerformanceObserver without any test hook in the page.

/** performance.measure with an explicit start (no marks left behind). */
export function measure(name: string, start: number): void {
  try {
    performance.measure(name, { start, end: performance.now() });
  } catch {
    /* measuring is optional */
  }
}

let sweeping = false;
/** User Timing entries accumulate for the page's lifetime: drop ours once a minute. */
export function sweepMeasures(names: string[]): void {
  if (sweeping) return;
  sweeping = true;
  window.setInterval(() => {
    for (const n of names) performance.clearMeasures(n);
  }, 60_000);
}
