"""Composition root: the only module that picks concrete adapters and wires them together."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine.interfaces import DBAPIConnection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from dispatch.adapters.roads import (
    GeocoderAdapter,
    NetworkEta,
    NetworkZoneTimes,
    RoadNetwork,
    RoadsAdapter,
    load_network,
)
from dispatch.bus.redis import RedisEventBus
from dispatch.clock import SystemClock
from dispatch.config import Settings
from dispatch.domain.geo import Location, service_area
from dispatch.domain.triage import load_protocol
from dispatch.hub.hub import Hub
from dispatch.policies.coverage import CoverageModel
from dispatch.policies.zones import demand_zones
from dispatch.services.advice import Advisor, MoveUpAdvisor
from dispatch.services.handlers import Deps
from dispatch.services.ports import AuditTrail, EventRecord
from dispatch.store import views
from dispatch.store.audit import AuditLog
from dispatch.store.positions import PositionWriter
from dispatch.store.sessions import SessionStore
from dispatch.store.throttle import LoginThrottle
from dispatch.store.unit_of_work import SqlUnitOfWork
from dispatch.store.users import Accounts


@dataclass
class Container:
    settings: Settings
    engine: AsyncEngine
    bus: RedisEventBus
    network: RoadNetwork
    deps: Deps
    hub: Hub
    positions: PositionWriter
    advisor: Advisor
    moveups: MoveUpAdvisor
    audit: AuditTrail
    sessions: SessionStore  # login sessions (dispatch.domain.sessions)
    accounts: Accounts  # user administration and password changes
    throttle: LoginThrottle  # failed logins per account and address

    _roads_geojson: bytes | None = None

    def roads_geojson_bytes(self) -> bytes:
        """The basemap GeoJSON, encoded once: it only changes with a new map import."""
        if self._roads_geojson is None:
            self._roads_geojson = json.dumps(
                self.network.roads_geojson(), separators=(",", ":")
            ).encode()
        return self._roads_geojson

    async def aclose(self) -> None:
        await self.hub.stop()
        await self.positions.stop()
        self.advisor.guard.close()
        await self.bus.aclose()
        await self.engine.dispose()


def make_engine(settings: Settings, *, owner: bool = False) -> AsyncEngine:
    """The connection pool; every connection names its process (``goldenhour:<pid>``) so an
    operator (or a fault test) can tell in ``pg_stat_activity`` which app process is waiting.

    It logs in as the least-privilege application role (``settings.async_app_database_url``),
    which cannot rewrite the event log or the audit trail; ``owner=True`` is for the operator's
    commands that act on the schema or its data as its owner (seed, audit verify).
    """
    engine = create_async_engine(
        settings.async_database_url if owner else settings.async_app_database_url,
        pool_size=10,
        max_overflow=20,
        # A pooled connection is tried before use: after a failover every connection to the
        # old primary is dead, and the first one found so makes the pool drop all of them.
        pool_pre_ping=True,
        connect_args={
            "timeout": 5,
            "command_timeout": 30,
            "server_settings": {"application_name": f"goldenhour:{os.getpid()}"},
        },
    )
    event.listen(engine.sync_engine, "do_connect", _no_writable_server_is_an_outage)
    return engine


def _no_writable_server_is_an_outage(
    dialect: Dialect, conn_rec: ConnectionPoolEntry, cargs: Any, cparams: dict[str, Any]
) -> DBAPIConnection:
    """Connect; "none of the listed servers takes writes" is an outage, like "none answers".

    With a list of servers and ``target_session_attrs=read-write`` (``docker/failover.md``)
    asyncpg connects only to the primary; between a primary's loss and a standby's promotion
    every server it reaches may be a standby, and asyncpg says so with
    ``TargetServerAttributeNotMatched``, an "internal client error" to SQLAlchemy, which the API
    would answer with a 500. As an OperationalError it is what it is: the database cannot take
    the request now, a 503 ``storage-unavailable`` that clients retry.
    """
    dbapi = dialect.loaded_dbapi
    try:
        connection: DBAPIConnection = dialect.connect(*cargs, **cparams)
    except dbapi.Error as exc:
        if isinstance(exc.__cause__, asyncpg.TargetServerAttributeNotMatched):
            raise dbapi.OperationalError(str(exc.__cause__)) from exc
        raise
    return connection


async def bootstrap(settings: Settings) -> Container:
    """Load the map, connect storage and messaging, start the hub."""
    network = load_network(settings.map_dir)
    engine = make_engine(settings)
    await _check_login(engine, settings)
    bus = RedisEventBus(settings.redis_url, channel=settings.redis_channel)
    positions = PositionWriter(engine)
    await positions.start()
    deps = Deps(
        uow=lambda: SqlUnitOfWork(engine),
        roads=RoadsAdapter(network, max_snap_distance_m=settings.max_snap_distance_m),
        geocoder=GeocoderAdapter(network.geocoder),
        clock=SystemClock(),
        publisher=bus,
        positions=positions,
        service_area=service_area(network.bbox),
        language=settings.language,
        field_time_max_age_s=settings.field_time_max_age_s,
        decontamination_s=settings.decontamination_min * 60,
    )

    async def read_after(seq: int, until: int | None) -> list[EventRecord]:
        return await views.events_after(engine, seq, until=until)

    async def read_positions(since: datetime) -> list[dict[str, Any]]:
        return await views.positions_recorded_since(engine, since)

    hub = Hub(
        read_after=read_after,
        read_positions=read_positions,
        subscribe=bus.subscribe,
        start_seq=await views.last_seq(engine),
        poll_interval_s=settings.hub_poll_interval_s,
        position_pushes_per_s=settings.position_pushes_per_s,
    )
    await hub.start()
    eta = NetworkEta(network)
    coverage = coverage_model(network)
    advisor = Advisor.configured(eta, coverage, settings.advice_policy, settings.stale_rule())
    moveups = MoveUpAdvisor(eta, coverage, settings.stale_rule())
    audit = AuditLog(engine)
    return Container(
        settings,
        engine,
        bus,
        network,
        deps,
        hub,
        positions,
        advisor,
        moveups,
        audit,
        SessionStore(engine),
        Accounts(engine),
        LoginThrottle(engine, settings.throttle_rules()),
    )


async def _check_login(engine: AsyncEngine, settings: Settings) -> None:
    """Fail at start, with the fix, when the application role cannot log in (not migrated)."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        await engine.dispose()
        raise RuntimeError(
            f"cannot connect as the application role {settings.app_role!r}: {exc}. Run "
            "`goldenhour migrate` (migration 0007 creates the role), or set "
            "GOLDENHOUR_APP_DATABASE_URL (with the role's password where the server asks for one)"
        ) from exc


def coverage_model(network: RoadNetwork, *, zones: int = 40, seed: int = 7) -> CoverageModel:
    """Demand zones for move-up advice: k-means of points drawn by road and address density,
    weighted by their share, covered within the priority-1 urban target (12 min)."""
    sites, weights = demand_zones(network, zones=zones, seed=seed)
    threshold = float(load_protocol().target(1).seconds)
    times = NetworkZoneTimes(network, sites)
    names = [_zone_name(network, i, z) for i, z in enumerate(sites)]
    return CoverageModel(sites, weights, times, threshold_s=threshold, names=names)


def _zone_name(network: RoadNetwork, index: int, centre: Location) -> str:
    """A zone as a dispatcher knows it: the nearest address to its centre (advice says "keeps
    the <address> area covered"), or its number and coordinates where the map has none."""
    place = network.geocoder.reverse(centre.lon, centre.lat)
    if place is None:
        return f"zone {index} [{centre.lon:.4f}, {centre.lat:.4f}]"
    return str(place.label)
