"""Console performance under synthetic load: 500 moving units at 1 Hz and 200 open incidents.

The real backend serves the page, the login and the static REST data; only the console WebSocket
(/ws/console) is replaced with Playwright's WebSocketRoute (Playwright >= 1.48), so no 500 real
units are needed and the page has no test hooks. The mock sends a snapshot (500 units, 200
incidents) and then `positions` messages carrying 500 position updates per second (split into
--pushes-per-s messages, like the real hub, which coalesces up to 10 pushes a second), plus a few
numbered status events a second. Unit assignments (routes) are answered by a route mock.

Measured in the page (installed with add_init_script, nothing in the app):
  * frame times: requestAnimationFrame deltas -> p50 / p95 / p99 / max (ms)
  * long tasks (PerformanceObserver 'longtask'): count and total ms
  * time spent handling messages: the app's own User Timing measures 'gh:ws-batch' (parse + store
    update per WebSocket message) and 'gh:render' (one coalesced render per frame: map setData,
    labels, routes, tables), summed per second of load -> mean / p95 / max ms per second
  * interaction: click a queue row mid-load -> ms until the incident detail is visible
A baseline (same page, same snapshot, no messages) is measured first in the same run.

Prints one JSON object. Usage:
  .venv/bin/python bench/console_perf.py [--seconds 20] [--units 500] [--incidents 200]
      [--pushes-per-s 10] [--events-per-s 2] [--cpu-throttle 1] [--base http://127.0.0.1:8000]
      [--profile] [--trace trace.json] [--dist OTHER_BUILD_DIR]
--dist serves the page and assets from another build (e.g. `git archive HEAD frontend` built with
vite) through page.route, so an older console can be measured under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Page, Route, WebSocketRoute, async_playwright, expect

ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
STATUSES_BUSY = ["dispatched", "en_route", "on_scene", "transporting", "at_hospital"]
UNIT_BASE = 100_000  # synthetic ids, far from the real fleet's
INCIDENT_BASE = 100_000

COLLECTOR = """
(() => {
  const c = { frames: [], longtasks: [], measures: [], recording: false, last: 0 };
  window.__perf = c;
  const loop = (ts) => {
    if (c.recording && c.last) c.frames.push(ts - c.last);
    c.last = ts;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  try {
    new PerformanceObserver((list) => {
      if (!c.recording) return;
      for (const e of list.getEntries()) c.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: false });
  } catch (e) {}
  new PerformanceObserver((list) => {
    if (!c.recording) return;
    for (const e of list.getEntries()) if (e.name.startsWith("gh:")) c.measures.push([e.name, e.startTime, e.duration]);
  }).observe({ type: "measure", buffered: false });
  c.start = () => { c.frames = []; c.longtasks = []; c.measures = []; c.last = 0; c.t0 = performance.now(); c.recording = true; };
  c.stop = () => { c.recording = false; c.t1 = performance.now(); return { frames: c.frames, longtasks: c.longtasks, measures: c.measures, t0: c.t0, t1: c.t1 }; };
})();
"""


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


class Fleet:
    """Synthetic units and incidents inside the map's bbox; units drive in circles."""

    def __init__(self, bbox: list[float], n_units: int, n_incidents: int, seed: int = 7) -> None:
        rnd = random.Random(seed)
        w, s, e, n = bbox
        self.now = datetime.now(UTC)
        self.units: list[dict[str, Any]] = []
        self.motion: dict[int, tuple[float, float, float, float, float]] = {}
        self.incidents: list[dict[str, Any]] = []
        for k in range(n_incidents):
            status = "pending" if k % 4 == 0 else rnd.choice(STATUSES_BUSY[:4])
            self.incidents.append(
                {
                    "id": INCIDENT_BASE + k,
                    "number": f"2026-9{k:05d}",
                    "location": [rnd.uniform(w, e), rnd.uniform(s, n)],
                    "address": f"Synthetic street {k}",
                    "complaint": rnd.choice(
                        ["chest pain", "fall", "breathing difficulty", "stroke"]
                    ),
                    "priority": rnd.randint(1, 4),
                    "status": status,
                    "unit_ids": [],
                    "received_at": iso(self.now - timedelta(seconds=rnd.uniform(10, 1800))),
                    "dispatched_at": None,
                    "en_route_at": None,
                    "on_scene_at": None,
                    "transporting_at": None,
                    "at_hospital_at": None,
                    "closed_at": None,
                    "cancelled_at": None,
                    "cancel_reason": None,
                    "address_verified": rnd.random() < 0.7,
                }
            )
        busy = [i for i in self.incidents if i["status"] != "pending"]
        for k in range(n_units):
            uid = UNIT_BASE + k
            inc = busy[k] if k < len(busy) else None
            status = inc["status"] if inc else ("available" if k % 10 else "out_of_service")
            if inc:
                inc["unit_ids"].append(uid)
            cx, cy = rnd.uniform(w, e), rnd.uniform(s, n)
            r = rnd.uniform(0.0005, 0.002)
            self.motion[uid] = (cx, cy, r, rnd.uniform(0, 2 * math.pi), rnd.uniform(0.02, 0.08))
            self.units.append(
                {
                    "id": uid,
                    "call_sign": f"U{k + 1:03d}",
                    "capability": "ALS" if k % 2 == 0 else "BLS",
                    "status": status,
                    "status_at": iso(self.now - timedelta(seconds=rnd.uniform(5, 900))),
                    "position": self.position(uid, 0.0),
                    "position_at": iso(self.now),
                    "station_id": None,
                    "incident_id": inc["id"] if inc else None,
                    "order_id": (UNIT_BASE + k) if inc else None,
                    "acknowledged_at": iso(self.now) if inc and k % 7 else None,
                }
            )
        self.by_id = {u["id"]: u for u in self.units}
        self.inc_by_id = {i["id"]: i for i in self.incidents}
        self.seq = 5000

    def position(self, uid: int, t: float) -> list[float]:
        cx, cy, r, phase, speed = self.motion[uid]
        a = phase + speed * t
        return [cx + r * math.cos(a) * 2, cy + r * math.sin(a)]

    def snapshot(self) -> dict[str, Any]:
        return {
            "type": "snapshot",
            "seq": self.seq,
            "server_time": iso(datetime.now(UTC)),
            "units": self.units,
            "incidents": self.incidents,
        }

    def route_for(self, uid: int) -> dict[str, Any] | None:
        u = self.by_id.get(uid)
        if not u or u["incident_id"] is None:
            return None
        inc = self.inc_by_id[u["incident_id"]]
        (x0, y0), (x1, y1) = u["position"], inc["location"]
        coords = [
            [x0 + (x1 - x0) * k / 30 + (0.0002 if k % 2 else 0), y0 + (y1 - y0) * k / 30]
            for k in range(31)
        ]
        return {
            "order_id": u["order_id"],
            "acknowledged_at": u["acknowledged_at"],
            "incident": inc,
            "unit": u,
            "eta_s": 300.0,
            "distance_m": 2500.0,
            "route": {"type": "LineString", "coordinates": coords},
            "steps": [],
        }


async def measure_window(page: Page, seconds: float) -> dict[str, Any]:
    await page.evaluate("window.__perf.start()")
    await page.wait_for_timeout(seconds * 1000)
    return await page.evaluate("window.__perf.stop()")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, math.ceil(q / 100 * len(v)) - 1))
    return v[k]


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    frames = raw["frames"]
    t0, t1 = raw["t0"], raw["t1"]
    seconds = max(1, int((t1 - t0) // 1000))
    per_second: dict[str, list[float]] = {
        "gh:ws-batch": [0.0] * seconds,
        "gh:render": [0.0] * seconds,
    }
    counts = {"gh:ws-batch": 0, "gh:render": 0}
    for name, start, dur in raw["measures"]:
        if name not in per_second:
            continue
        k = int((start - t0) // 1000)
        if 0 <= k < seconds:
            per_second[name][k] += dur
            counts[name] += 1
    both = [a + b for a, b in zip(per_second["gh:ws-batch"], per_second["gh:render"], strict=True)]
    r2 = lambda x: round(x, 2)  # noqa: E731
    return {
        "duration_s": r2((t1 - t0) / 1000),
        "frames": len(frames),
        "fps": r2(len(frames) / ((t1 - t0) / 1000)) if t1 > t0 else 0,
        "frame_ms": {
            "p50": r2(pct(frames, 50)),
            "p95": r2(pct(frames, 95)),
            "p99": r2(pct(frames, 99)),
            "max": r2(max(frames) if frames else float("nan")),
        },
        "long_tasks": {
            "count": len(raw["longtasks"]),
            "total_ms": r2(sum(d for _, d in raw["longtasks"])),
            "max_ms": r2(max((d for _, d in raw["longtasks"]), default=0)),
        },
        "handling_ms_per_s": {
            name: {
                "mean": r2(statistics.fmean(v)),
                "p95": r2(pct(v, 95)),
                "max": r2(max(v)),
                "entries": counts[name],
            }
            for name, v in per_second.items()
        }
        | {
            "total": {
                "mean": r2(statistics.fmean(both)),
                "p95": r2(pct(both, 95)),
                "max": r2(max(both)),
            }
        },
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--incidents", type=int, default=200)
    ap.add_argument("--pushes-per-s", type=int, default=10)
    ap.add_argument("--events-per-s", type=float, default=2)
    ap.add_argument("--cpu-throttle", type=float, default=1)
    ap.add_argument("--user", default="dispatcher")
    ap.add_argument("--screenshot", default="test-artifacts/console-perf.png")
    ap.add_argument("--executable", default="/usr/bin/chromium")
    ap.add_argument(
        "--dist",
        default=None,
        help="serve the console page and assets from this build instead (e.g. an older build, for comparison)",
    )
    ap.add_argument(
        "--trace", default=None, help="write a Chrome trace of the loaded window to this path"
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="also print the top self-time functions under load (CDP profiler)",
    )
    a = ap.parse_args()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=a.executable, args=ARGS)
        page = await browser.new_page(viewport={"width": 1600, "height": 1000})
        await page.add_init_script(COLLECTOR)
        info = json.loads(await (await page.request.get(f"{a.base}/api/v1/map")).text())
        fleet = Fleet(info["bbox"], a.units, a.incidents)

        sockets: list[WebSocketRoute] = []
        sending = asyncio.Event()

        def on_ws(ws: WebSocketRoute) -> None:
            # Fully mocked: never connect to the real hub.
            sockets.append(ws)
            ws.on_message(
                lambda m: ws.send(json.dumps({"type": "pong"})) if '"ping"' in str(m) else None
            )
            ws.send(json.dumps(fleet.snapshot()))

        await page.route_web_socket(re.compile(r".*/ws/console.*"), on_ws)

        async def assignment(route: Route) -> None:
            m = re.search(r"/units/(\d+)/assignment", route.request.url)
            body = fleet.route_for(int(m.group(1))) if m else None
            if body is None:
                await route.fulfill(
                    status=404,
                    content_type="application/problem+json",
                    body='{"status":404,"code":"no-assignment"}',
                )
            else:
                await route.fulfill(
                    status=200, content_type="application/json", body=json.dumps(body)
                )

        await page.route(re.compile(r".*/api/v1/units/\d+/assignment$"), assignment)
        # The synthetic incidents exist only in the mock: answer their detail requests too.
        await page.route(
            re.compile(r".*/api/v1/incidents/1\d{5}/timeline$"),
            lambda r: r.fulfill(
                status=200,
                content_type="application/json",
                body=json.dumps({"incident": fleet.incidents[0], "events": []}),
            ),
        )
        await page.route(
            re.compile(r".*/api/v1/incidents/1\d{5}/recommendations.*"),
            lambda r: r.fulfill(status=200, content_type="application/json", body="[]"),
        )

        if a.dist:
            import mimetypes
            from pathlib import Path

            root = Path(a.dist)

            async def static(route: Route) -> None:
                path = route.request.url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
                f = root / (path or "index.html")
                if f.is_dir():
                    f = f / "index.html"
                if not f.is_file():
                    await route.fallback()
                    return
                ctype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
                await route.fulfill(status=200, body=f.read_bytes(), content_type=ctype)

            await page.route(re.compile(r"^https?://[^/]+/(?!api/|ws/).*"), static)

        if a.cpu_throttle > 1:
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("Emulation.setCPUThrottlingRate", {"rate": a.cpu_throttle})

        await page.goto(a.base)
        await page.get_by_test_id("login-username").fill(a.user)
        await page.get_by_test_id("login-password").fill(a.user)
        await page.get_by_test_id("login-submit").click()
        await expect(page.get_by_test_id("connection-status")).to_have_text(
            "connected", timeout=15_000
        )
        await expect(
            page.locator(f"[data-testid='unit-row-{UNIT_BASE + a.units - 1}']")
        ).to_be_attached(timeout=30_000)
        await page.wait_for_timeout(3000)  # basemap, routes fetched, first renders settled

        baseline = summarise(await measure_window(page, 5))

        start = time.monotonic()
        stop = asyncio.Event()

        async def feed() -> None:
            """500 updates per second, in pushes_per_s messages, plus numbered status events."""
            interval = 1 / a.pushes_per_s
            ids = [u["id"] for u in fleet.units]  # every unit moves
            chunks = [ids[k :: a.pushes_per_s] for k in range(a.pushes_per_s)]
            tick = 0
            next_event = 0.0
            while not stop.is_set():
                t = time.monotonic() - start
                now = datetime.now(UTC)
                chunk = chunks[tick % a.pushes_per_s]
                msg = {
                    "type": "positions",
                    "server_time": iso(now),
                    "units": [
                        {"id": uid, "position": fleet.position(uid, t), "position_at": iso(now)}
                        for uid in chunk
                    ],
                }
                for ws in sockets:
                    ws.send(json.dumps(msg))
                if a.events_per_s > 0 and t >= next_event:
                    next_event = t + 1 / a.events_per_s
                    u = random.choice(fleet.units)
                    u = {
                        **u,
                        "status": "available" if u["status"] == "out_of_service" else u["status"],
                        "status_at": iso(now),
                    }
                    fleet.seq += 1
                    ev = {
                        "type": "event",
                        "seq": fleet.seq,
                        "name": "UnitStatusChanged",
                        "occurred_at": iso(now),
                        "actor": "perf",
                        "data": {"unit": u},
                    }
                    for ws in sockets:
                        ws.send(json.dumps(ev))
                tick += 1
                sending.set()
                await asyncio.sleep(max(0, start + tick * interval - time.monotonic()))

        feeder = asyncio.create_task(feed())
        await sending.wait()
        await page.wait_for_timeout(2000)  # warm-up under load

        if a.profile:
            prof = await page.context.new_cdp_session(page)
            await prof.send("Profiler.enable")
            await prof.send("Profiler.setSamplingInterval", {"interval": 1000})
            await prof.send("Profiler.start")
        if getattr(a, "trace", None):
            await browser.start_tracing(
                page=page,
                path=a.trace,
                categories=[
                    "devtools.timeline",
                    "disabled-by-default-devtools.timeline",
                    "gpu",
                    "cc",
                    "viz",
                ],
            )
        await page.evaluate("window.__perf.start()")
        # Interaction under load: select a pending call from the queue, time until the detail shows.
        await page.wait_for_timeout(a.seconds * 500)
        # (an older build has no queue: fall back to the incident list and the selected-incident card)
        queue = page.locator("[data-testid^='queue-row-']")
        row = (
            queue.first
            if await queue.count()
            else page.locator("[data-testid^='incident-row-']").first
        )
        t_click = time.monotonic()
        await row.click()
        detail = page.get_by_test_id("incident-detail")
        await expect(
            detail if await queue.count() else page.get_by_test_id("selected-incident")
        ).to_be_visible(timeout=30_000)
        click_ms = (time.monotonic() - t_click) * 1000
        await page.wait_for_timeout(a.seconds * 500)
        loaded_raw = await page.evaluate("window.__perf.stop()")
        if getattr(a, "trace", None):
            await browser.stop_tracing()
        top: list[Any] = []
        if a.profile:
            profile = (await prof.send("Profiler.stop"))["profile"]
            nodes = {n["id"]: n for n in profile["nodes"]}
            dt: dict[int, float] = {}
            for sid, d in zip(profile["samples"], profile["timeDeltas"], strict=True):
                dt[sid] = dt.get(sid, 0) + d / 1000
            agg: dict[str, float] = {}
            for nid, ms in dt.items():
                cf = nodes[nid]["callFrame"]
                key = f"{cf['functionName'] or '(anon)'} {cf['url'].rsplit('/', 1)[-1]}:{cf['lineNumber']}"
                agg[key] = agg.get(key, 0) + ms
            top = sorted(((round(v), k) for k, v in agg.items()), reverse=True)[:25]
        stop.set()
        await feeder
        loaded = summarise(loaded_raw)
        if a.screenshot:
            await page.screenshot(path=a.screenshot)
        labels = await page.locator("[data-unit-marker]").count()
        await browser.close()

    print(
        json.dumps(
            {
                "load": {
                    "units": a.units,
                    "incidents": a.incidents,
                    "position_updates_per_s": a.units,
                    "messages_per_s": a.pushes_per_s,
                    "events_per_s": a.events_per_s,
                    "cpu_throttle": a.cpu_throttle,
                },
                "baseline_idle": baseline,
                "under_load": loaded,
                "click_to_detail_ms": round(click_ms, 1),
                "html_unit_labels": labels,
                **({"profile_top_self_ms": top} if a.profile else {}),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
