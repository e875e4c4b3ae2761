"""Wires the simulator together: load the world over the API, start callers, the
auto-dispatcher and one bot per unit, and route console updates to them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx

from dispatch.clock import PacedClock, SystemClock
from dispatch.demo import outbreak
from dispatch.demo.autodispatch import AutoDispatcher
from dispatch.demo.caller import Caller
from dispatch.demo.client import ApiClient, ApiError, Place, Unit
from dispatch.demo.config import DemoConfig
from dispatch.demo.crew import Crew
from dispatch.demo.crewbot import CrewBot, unit_home
from dispatch.demo.feed import ConsoleFeed, Update
from dispatch.demo.geometry import Crossing, LonLat, RoadSampler, crossings
from dispatch.demo.phone import Phone

log = logging.getLogger("goldenhour.sim")

RESTART_DELAY_S = 5.0


@dataclass(frozen=True)
class World:
    """What the simulator needs to know about the map, read once at start."""

    center: LonLat
    roads: RoadSampler | None
    #: Where two named streets meet: callers there name both (``dispatch.demo.calls``).
    crossings: list[Crossing]
    stations: dict[int, LonLat]
    hospitals: list[Place]
    units: list[Unit]


async def run_demo(config: DemoConfig, *, clock: PacedClock | None = None) -> None:
    """Run callers, the auto-dispatcher and crew bots against ``config.base_url``.

    Returns after ``config.duration_s`` of ``clock`` time (counted from the call, including
    waiting for the server), or runs until cancelled when it is None.  Only start-up errors
    that retrying cannot fix (e.g. wrong dispatcher credentials) propagate.
    """
    clock = clock or SystemClock()
    main = asyncio.ensure_future(_simulate(config, clock))
    if config.duration_s is None:
        await main
        return
    timer = asyncio.ensure_future(clock.sleep(config.duration_s))
    try:
        await asyncio.wait({main, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (main, timer):
            task.cancel()
        await asyncio.gather(main, timer, return_exceptions=True)
    error = main.exception() if main.done() and not main.cancelled() else None
    if error is not None:
        raise error
    log.info("simulation finished after %.0f s", config.duration_s)


async def _simulate(config: DemoConfig, clock: PacedClock) -> None:
    async with ApiClient.connect(config.base_url) as http:
        dispatcher = ApiClient(http, config.dispatcher_username, config.dispatcher_password)
        world = await _load_world(dispatcher, clock)
        tasks: list[asyncio.Task[None]] = []
        try:
            await _start(config, clock, http, dispatcher, world, tasks)
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _start(
    config: DemoConfig,
    clock: PacedClock,
    http: httpx.AsyncClient,
    dispatcher: ApiClient,
    world: World,
    tasks: list[asyncio.Task[None]],
) -> None:
    """Create every long-running task of the run into ``tasks``."""
    bots: dict[int, CrewBot] = {}
    for unit in world.units:
        sign = unit["call_sign"]
        bots[unit["id"]] = CrewBot(
            unit=unit,
            home=unit_home(unit, world.stations, world.center),
            api=dispatcher.as_user(config.crew_username(sign), config.crew_password(sign)),
            crew=Crew(
                rng=random.Random(f"{config.seed}:crew:{sign}"),
                speedup=config.speedup,
                report_interval_s=config.position_interval_s,
            ),
            clock=clock,
            hospitals=world.hospitals,
        )
    auto = (
        AutoDispatcher(dispatcher, clock, after_s=config.auto_dispatch_after_s)
        if config.auto_dispatch_after_s is not None
        else None
    )

    async def route(update: Update) -> None:
        for unit in update.units:
            bot = bots.get(unit["id"])
            if bot is not None:
                bot.inbox.put_nowait((update.name, update.actor, unit))
        if auto is not None:
            for incident in update.incidents:
                auto.observe(incident)

    feed_api = dispatcher.as_user(config.dispatcher_username, config.dispatcher_password)
    feed = ConsoleFeed(config.base_url, feed_api, clock, route)
    tasks.append(_supervised("console feed", feed.run, clock))
    if auto is not None:
        tasks.append(_supervised("auto-dispatcher", auto.run, clock))
    if config.calls_per_minute > 0 and world.roads is not None:
        caller = Caller(
            dispatcher,
            clock,
            world.roads,
            calls_per_minute=config.calls_per_minute,
            rng=random.Random(f"{config.seed}:calls"),
            on_created=auto.observe if auto is not None else None,
            phone=Phone(
                dispatcher.as_user(config.telephony_username, config.telephony_password),
                dispatcher,
                random.Random(f"{config.seed}:phone"),
            ),
            crossings=world.crossings,
            language=config.language,
        )
        tasks.append(_supervised("caller", caller.run, clock))
    elif config.calls_per_minute > 0:
        log.warning("no roads on the map: no calls will be generated")
    for bot in bots.values():
        tasks.append(_supervised(f"crew {bot.call_sign}", bot.run, clock))
    if config.outbreak_after_s is not None and world.roads is not None:
        tasks.append(asyncio.ensure_future(_outbreak(config, clock, dispatcher, world.roads)))
    log.info(
        "simulating %d units, %.1f calls/min, auto-dispatch %s, speed-up x%g, callers speak %s",
        len(bots),
        config.calls_per_minute,
        "off" if auto is None else f"after {config.auto_dispatch_after_s:g} s",
        config.speedup,
        config.language,
    )


async def _outbreak(
    config: DemoConfig, clock: PacedClock, dispatcher: ApiClient, roads: RoadSampler
) -> None:
    """A season of history now (so the watch has a baseline), the fever calls later."""
    supervisor = dispatcher.as_user(config.supervisor_username, config.supervisor_password)
    zone = ZoneInfo((await dispatcher.request("GET", "/config"))["time_zone"])
    rows = await outbreak.backfill(
        supervisor,
        roads,
        days=outbreak.HISTORY_DAYS,
        calls_per_day=config.calls_per_minute * 24 * 60,
        today=clock.now().astimezone(zone).date(),
        seed=config.seed,
        language=config.language,
    )
    log.info("outbreak: %d days of history imported (%d rows)", outbreak.HISTORY_DAYS, rows)
    await clock.sleep(config.outbreak_after_s or 0.0)
    caller = outbreak.outbreak_caller(
        dispatcher,
        clock,
        roads,
        calls_per_minute=config.outbreak_calls_per_minute,
        seed=config.seed,
        language=config.language,
    )
    log.warning(
        "outbreak: fever calls from one neighbourhood, %.1f a minute for %g minutes",
        config.outbreak_calls_per_minute,
        config.outbreak_minutes,
    )
    calling = asyncio.ensure_future(caller.run())
    try:
        await clock.sleep(config.outbreak_minutes * 60)
    finally:
        calling.cancel()
        await asyncio.gather(calling, return_exceptions=True)
    log.info("outbreak over")


def _supervised(
    name: str, run: Callable[[], Awaitable[None]], clock: PacedClock
) -> asyncio.Task[None]:
    """A task that restarts ``run()`` after an unexpected crash instead of ending the demo."""

    async def guard() -> None:
        while True:
            try:
                await run()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s crashed; restarting in %.0f s", name, RESTART_DELAY_S)
                await clock.sleep(RESTART_DELAY_S)

    return asyncio.ensure_future(guard())


async def _load_world(api: ApiClient, clock: PacedClock) -> World:
    """Read map, places and units, waiting for the server; bad credentials are fatal."""
    delay = 1.0
    while True:
        try:
            await api.login()
            return await _read_world(api)
        except ApiError as exc:
            if exc.status in (401, 403):
                raise
            log.warning("server not ready (%s); retrying in %.0f s", exc, delay)
        except httpx.HTTPError as exc:
            log.warning("server unreachable (%s); retrying in %.0f s", exc, delay)
        await clock.sleep(delay)
        delay = min(delay * 2, 15.0)


async def _read_world(api: ApiClient) -> World:
    info, roads_json, stations, hospitals, units = await asyncio.gather(
        api.map_info(), api.roads(), api.stations(), api.hospitals(), api.units()
    )
    center = info.get("center") or [0.0, 0.0]
    try:
        roads: RoadSampler | None = RoadSampler.from_feature_collection(roads_json)
    except ValueError:
        roads = None
    junctions = crossings(roads_json)
    log.info(
        "map %s: %s road segments, %d street crossings, %d stations, %d hospitals, %d units",
        info.get("name", "?"),
        "no" if roads is None else roads.segment_count,
        len(junctions),
        len(stations),
        len(hospitals),
        len(units),
    )
    return World(
        center=(float(center[0]), float(center[1])),
        roads=roads,
        crossings=junctions,
        stations={s["id"]: (s["location"][0], s["location"][1]) for s in stations},
        hospitals=list(hospitals),
        units=list(units),
    )
