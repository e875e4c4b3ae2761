"""Demo and test data: stations, hospitals, a fleet of ambulances and logins, from the map.

Stations and hospitals come from the extract's OSM tags (emergency=ambulance_station,
amenity=fire_station, amenity=hospital). A small extract often has too few of them (the bundled
Helsinki centre has one fire station and no hospital), so the gap is filled with a documented,
plausible layout: stations spread over the map's four quadrants and one demo hospital, each placed
on the nearest road. Seeding is idempotent: rows are matched by name / call sign / username.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.adapters.roads import RoadNetwork
from dispatch.domain.geo import Location
from dispatch.passwords import hash_password
from dispatch.store import tables as t
from dispatch.store.geo import point
from dispatch.store.users import UserRecord, insert_user, upsert_user

MIN_STATIONS = 4


@dataclass(frozen=True, slots=True)
class SeedReport:
    stations: int
    hospitals: int
    units: int
    users: list[tuple[str, str, str]]  # username, password, role
    created: int = 0  # logins that did not exist before


def _on_road(network: RoadNetwork, lon: float, lat: float) -> Location:
    snap = network.snap(lon, lat, max_distance_m=1e7)
    return Location(snap.lon, snap.lat)


def plan_sites(
    network: RoadNetwork,
) -> tuple[list[tuple[str, Location]], list[tuple[str, Location]]]:
    """(stations, hospitals) as (name, on-road location): OSM first, the demo layout after."""
    stations = [
        (p.name, _on_road(network, p.lon, p.lat))
        for kind in ("ambulance_station", "fire_station")
        for p in network.pois(kind)
    ]
    hospitals = [(p.name, _on_road(network, p.lon, p.lat)) for p in network.pois("hospital")]
    west, south, east, north = network.bbox
    quadrants = [
        ("North-West", 0.25, 0.75),
        ("North-East", 0.75, 0.75),
        ("South-West", 0.25, 0.25),
        ("South-East", 0.75, 0.25),
    ]
    for label, fx, fy in quadrants[: max(0, MIN_STATIONS - len(stations))]:
        location = _on_road(network, west + fx * (east - west), south + fy * (north - south))
        stations.append((f"Ambulance Station {label} (demo)", location))
    if not hospitals:
        cx, cy = network.center
        hospitals.append(("Central Hospital (demo)", _on_road(network, cx, cy)))
        corner = _on_road(network, west + 0.8 * (east - west), south + 0.15 * (north - south))
        hospitals.append(("Harbour Hospital (demo)", corner))
    return _unique(stations), _unique(hospitals)


#: Demo capabilities: OSM does not say what a hospital can treat. The demo's central hospital
#: can treat everything; a second demo hospital only trauma and children; hospitals read from
#: OSM get a general-hospital set. Real deployments set them (POST /hospitals/{id}/status).
DEMO_CAPABILITIES = {
    "Central Hospital (demo)": ["burns", "obstetric", "pci", "pediatric", "stroke", "trauma_1"],
    "Harbour Hospital (demo)": ["pediatric", "trauma_2"],
}
GENERAL_HOSPITAL = ["obstetric", "pci", "pediatric", "stroke", "trauma_2"]


def _unique(sites: list[tuple[str, Location]]) -> list[tuple[str, Location]]:
    seen: dict[str, int] = {}
    result = []
    for name, location in sites:
        seen[name] = seen.get(name, 0) + 1
        result.append((name if seen[name] == 1 else f"{name} {seen[name]}", location))
    return result


def crew_login(call_sign: str) -> str:
    return f"crew-{call_sign.lower()}"


async def seed(
    engine: AsyncEngine, network: RoadNetwork, *, units: int = 12, demo_logins: bool = False
) -> SeedReport:
    """Seed the map's sites, the fleet and one login per role (and per unit and hospital), with
    password = user name.

    ``demo_logins`` (``GOLDENHOUR_DEMO_LOGINS``, ``make demo`` and the tests): every seeded login
    is (re)set to that password and works as it is. Otherwise only missing logins are created, and
    they must choose a new password at first login; accounts that exist (and their passwords) are
    left as they are, so seeding again never undoes an admin's work.
    """
    stations, hospitals = plan_sites(network)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        for name, location in stations:
            await conn.execute(
                insert(t.stations)
                .values(name=name, location=point(location))
                .on_conflict_do_nothing(index_elements=["name"])
            )
        for name, location in hospitals:
            await conn.execute(
                insert(t.hospitals)
                .values(
                    name=name,
                    location=point(location),
                    capabilities=DEMO_CAPABILITIES.get(name, GENERAL_HOSPITAL),
                    ed_status="open",
                    beds_available=6,
                    status_at=now,
                )
                .on_conflict_do_nothing(index_elements=["name"])
            )
        hospital_ids = (
            (await conn.execute(select(t.hospitals.c.id).order_by(t.hospitals.c.id)))
            .scalars()
            .all()
        )
        rows = (
            await conn.execute(select(t.stations.c.id, t.stations.c.name).order_by(t.stations.c.id))
        ).all()
        by_name = {r.name: r.id for r in rows}
        placed = [(by_name[name], location) for name, location in stations]
        for i in range(units):
            station_id, location = placed[i % len(placed)]
            await conn.execute(
                insert(t.units)
                .values(
                    call_sign=f"A{i + 1:02d}",
                    capability="ALS" if i % 2 == 0 else "BLS",
                    status="available",
                    status_at=now,
                    station_id=station_id,
                    position=point(location),
                    position_at=now,
                )
                .on_conflict_do_nothing(index_elements=["call_sign"])
            )
        fleet = (await conn.execute(select(t.units.c.id, t.units.c.call_sign))).all()
    # One demo login per role that is not bound to a unit or a hospital (those follow), password
    # = user name: the admin keeps accounts and the fleet, the auditor reads the audit trail.
    logins = [UserRecord(role, "", role, None) for role in ("dispatcher", "supervisor")]
    logins += [UserRecord(role, "", role, None) for role in ("admin", "auditor")]
    # the PBX/CTI connector's machine login (telephony interface, docs/api.md); the demo's phone
    logins += [UserRecord("telephony", "", "telephony", None)]
    logins += [
        UserRecord(crew_login(unit.call_sign), "", "crew", unit.id)
        for unit in sorted(fleet, key=lambda u: u.call_sign)
    ]
    logins += [UserRecord(f"hospital-{h}", "", "hospital", None, h) for h in hospital_ids]
    created = 0
    for login in logins:
        user = replace(
            login,
            password_hash=hash_password(login.username),
            must_change_password=not demo_logins,
        )
        if demo_logins:
            await upsert_user(engine, user)
        else:
            created += await insert_user(engine, user)
    users = [(u.username, u.username, u.role) for u in logins]
    return SeedReport(len(stations), len(hospitals), len(fleet), users, created)
