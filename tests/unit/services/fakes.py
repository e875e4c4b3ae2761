"""Small in-memory fakes of our own ports, for testing the service layer without I/O."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dispatch.domain.errors import NotFound, OffRoad
from dispatch.domain.geo import Location
from dispatch.domain.model import Incident, Unit
from dispatch.services.ports import EventRecord, Place, RoadEta, RoadRoute


class FakeClock:
    def __init__(self) -> None:
        self.t = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


class StraightLineRoads:
    """Roads everywhere within 0.1° of the origin, driven in straight lines at 10 m/s."""

    def check_on_road(self, location: Location) -> str | None:
        if abs(location.lon) > 0.1 or abs(location.lat) > 0.1:
            raise OffRoad("off the fake map")
        return "Test Street"

    def _metres(self, a: Location, b: Location) -> float:
        return ((a.lon - b.lon) ** 2 + (a.lat - b.lat) ** 2) ** 0.5 * 111_000

    def etas(self, origins: Sequence[Location], destination: Location) -> list[RoadEta | None]:
        return [RoadEta(self._metres(o, destination) / 10, self._metres(o, destination))
                for o in origins]

    def route(self, origin: Location, destination: Location) -> RoadRoute:
        d = self._metres(origin, destination)
        return RoadRoute([origin.as_lonlat(), destination.as_lonlat()], d / 10, d)


class OnePlaceGeocoder:
    def search(self, query: str, *, limit: int = 5) -> list[Place]:
        if "main" in query.lower():
            return [Place("Main Street 1", Location(0.01, 0.01), "address", 0.97)]
        return []


@dataclass
class Store:
    units: dict[int, Unit] = field(default_factory=dict)
    incidents: dict[int, Incident] = field(default_factory=dict)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    log: list[EventRecord] = field(default_factory=list)


class _Repo:
    def __init__(self, rows: dict[int, Any], kind: str) -> None:
        self.rows, self.kind, self.seen = rows, kind, {}

    async def get(self, key: int, *, lock: bool = False) -> Any:
        if key not in self.rows:
            raise NotFound(f"No {self.kind} with id {key}")
        obj = self.seen[key] = copy.deepcopy(self.rows[key])
        return obj

    async def list(self, *, open_only: bool = False) -> list[Any]:
        return [copy.deepcopy(r) for r in self.rows.values()
                if not open_only or r.is_open]

    async def save(self, obj: Any) -> None:
        self.seen[obj.id] = obj

    async def add(self, obj: Any) -> None:
        self.seen[obj.id] = obj

    async def next_id(self) -> int:
        return max(self.rows, default=0) + 1


class FakeUnitOfWork:
    """Changes become visible in the store only on commit, like a transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.units = _Repo(store.units, "unit")
        self.incidents = _Repo(store.incidents, "incident")
        self.assignments = self
        self._pending: list[dict[str, Any]] = []

    async def add(self, **row: Any) -> None:
        self._pending.append(row)

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def commit(self, *, actor: str) -> list[EventRecord]:
        records = []
        for repo, table in ((self.units, self.store.units), (self.incidents, self.store.incidents)):
            for obj in repo.seen.values():
                for event in obj.events:
                    records.append(EventRecord(len(self.store.log) + len(records) + 1,
                                               event.name, event.occurred_at, actor, {}))
                obj.events.clear()
                table[obj.id] = copy.deepcopy(obj)
        self.store.assignments.extend(self._pending)
        self.store.log.extend(records)
        return records


class CollectingPublisher:
    def __init__(self) -> None:
        self.published: list[EventRecord] = []

    async def publish(self, records: Sequence[EventRecord]) -> None:
        self.published.extend(records)
