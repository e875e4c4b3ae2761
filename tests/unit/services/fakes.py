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
from dispatch.services.ports import EventRecord, Fix, Place, Recorded, RoadEta, RoadRoute


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
        return [
            RoadEta(self._metres(o, destination) / 10, self._metres(o, destination))
            for o in origins
        ]

    def best(
        self, origins: Sequence[Location], destination: Location, k: int
    ) -> list[tuple[int, RoadEta]]:
        etas = self.etas(origins, destination)
        order = sorted(range(len(origins)), key=lambda i: etas[i].duration_s)  # type: ignore[union-attr]
        return [(i, etas[i]) for i in order[:k]]  # type: ignore[misc]

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
    cursors: dict[tuple[int, str], int] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)


class _Repo:
    def __init__(self, rows: dict[int, Any], kind: str) -> None:
        self.rows, self.kind, self.seen = rows, kind, {}

    async def get(self, key: int, *, lock: bool = False) -> Any:
        if key not in self.rows:
            raise NotFound(f"No {self.kind} with id {key}")
        obj = self.seen[key] = copy.deepcopy(self.rows[key])
        return obj

    async def on_incident(self, incident_id: int, *, lock: bool = False) -> list[Any]:
        found = [u for u in self.rows.values() if u.incident_id == incident_id]
        return [await self.get(u.id) for u in sorted(found, key=lambda u: u.id)]

    async def lock_many(self, ids: Any) -> list[Any]:
        return [await self.get(i) for i in sorted(set(ids)) if i in self.rows]

    async def list(self, *, open_only: bool = False) -> list[Any]:
        return [copy.deepcopy(r) for r in self.rows.values() if not open_only or r.is_open]

    async def save(self, obj: Any) -> None:
        self.seen[obj.id] = obj

    async def add(self, obj: Any) -> None:
        self.seen[obj.id] = obj

    async def next_id(self) -> int:
        return max(self.rows, default=0) + 1


class _Calls:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, **row: Any) -> None:
        self.store.calls.append(row)

    async def from_number(self, number: str, since: datetime) -> list[tuple[int, datetime]]:
        found = [c for c in self.store.calls if c["number"] == number and c["at"] >= since]
        return [(c["incident_id"], c["at"]) for c in reversed(found)]


class FakeUnitOfWork:
    """Changes become visible in the store only on commit, like a transaction.

    It plays the assignment, track, client-cursor and idempotency repositories itself.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.units = _Repo(store.units, "unit")
        self.incidents = _Repo(store.incidents, "incident")
        self.assignments = self.tracks = self.client_cursors = self.idempotency = self
        self.calls = _Calls(store)
        self._pending: list[dict[str, Any]] = []
        self._cursors: dict[tuple[int, str], int] = {}
        self._keys: dict[str, tuple[str, int, dict[str, Any]]] = {}

    async def add(self, *args: Any, **row: Any) -> None:
        if not args:  # an assignment; positional calls are track points
            self._pending.append(row)

    async def next_id(self) -> int:
        return len(self.store.assignments) + len(self._pending) + 1

    async def acknowledged(self, order_id: int, at: datetime) -> None:
        pass

    async def advance(self, unit_id: int, client_id: str, client_seq: int) -> bool:
        key = (unit_id, client_id)
        if self.store.cursors.get(key, -1) >= client_seq:
            return False
        self._cursors[key] = client_seq
        return True

    async def find(self, key: str) -> tuple[str, int, dict[str, Any]] | None:
        return self.store.keys.get(key)

    async def claim(
        self, key: str, *, actor: str, request_hash: str, status_code: int, response: dict[str, Any]
    ) -> bool:
        if key in self.store.keys:
            return False
        self._keys[key] = (request_hash, status_code, response)
        return True

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def commit(self, *, actor: str) -> list[EventRecord]:
        records = []
        for repo, table in ((self.units, self.store.units), (self.incidents, self.store.incidents)):
            for obj in repo.seen.values():
                for event in obj.events:
                    records.append(
                        EventRecord(
                            len(self.store.log) + len(records) + 1,
                            event.name,
                            event.occurred_at,
                            actor,
                            {},
                        )
                    )
                obj.events.clear()
                table[obj.id] = copy.deepcopy(obj)
        self.store.assignments.extend(self._pending)
        self.store.cursors.update(self._cursors)
        self.store.keys.update(self._keys)
        self.store.log.extend(records)
        return records


class CollectingPublisher:
    def __init__(self) -> None:
        self.published: list[EventRecord] = []
        self.positions: list[dict[str, Any]] = []

    async def publish(self, records: Sequence[EventRecord]) -> None:
        self.published.extend(records)

    async def publish_positions(self, units: Sequence[dict[str, Any]]) -> None:
        self.positions.extend(units)


class StorePositionLog:
    """Fixes go straight into the store's units; an older fix than the one held is refused."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, fix: Fix) -> Recorded:
        unit = self.store.units.get(fix.unit_id)
        if unit is None:
            raise NotFound(f"No unit with id {fix.unit_id}")
        accepted = unit.position_at is None or fix.reported_at > unit.position_at
        if accepted:
            unit.position, unit.position_at = fix.location, fix.reported_at
        return Recorded(copy.deepcopy(unit), accepted)
