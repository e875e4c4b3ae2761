"""Demo and test data: stations, hospitals, a fleet of ambulances and logins, from the map.

Stations and hospitals come from the extract's OSM tags (emergency=ambulance_station,
amenity=fire_station, amenity=hospital). A small extract often has too few of them (the bundled
Helsinki centre has one fire station and no hospital), so the gap is filled with a documented,
plausible layout: stations spread over the map's four quadrants and one demo hospital, each placed
on the nearest road. Seeding is idempotent: rows are matched by name / call sign / username.

**One site, one row.** OSM often maps a station or a hospital twice: a point (the entrance or
the sign) and an outline (the building or the grounds), or one point per tag
(``emergency=ambulance_station`` and ``amenity=fire_station`` on the same building). Two
entries of the same group (stations, hospitals) within :data:`SAME_SITE_M` of each other are one
site when they carry the same name or one of them is unnamed (its name is then the kind's
default, e.g. "Fire station"); merging is transitive, and the site keeps the first entry's
position (ambulance stations before fire stations, then by name) and the real name.

**Units over sites.** Ambulances are dealt round-robin over the distinct stations, in the
order ambulance stations, fire stations, demo stations: unit ``i`` goes to station
``i mod n``. When there are more stations than units, the stations that get one are chosen
farthest-first (start at the station nearest the map's centre, then repeatedly the station
farthest from every one chosen), so a small fleet still covers the whole map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.adapters.roads import RoadNetwork
from dispatch.domain.geo import Location
from dispatch.domain.text import Text
from dispatch.passwords import hash_password
from dispatch.store import tables as t
from dispatch.store.geo import point
from dispatch.store.users import UserRecord, insert_user, upsert_user

MIN_STATIONS = 4
#: Two mapped entries of one station or hospital closer than this are one site.
SAME_SITE_M = 150.0
#: The names PoiSet gives entries without a ``name`` tag (routing.pois).
UNNAMED = frozenset(("Hospital", "Ambulance station", "Fire station"))


@dataclass(frozen=True, slots=True)
class SeedReport:
    stations: int
    hospitals: int
    units: int
    users: list[tuple[str, str, str]]  # username, password, role
    created: int = 0  # logins that did not exist before
    merged_stations: int = 0  # mapped station entries folded into another (same site)
    merged_hospitals: int = 0


@dataclass(frozen=True, slots=True)
class SitePlan:
    """The distinct sites of a map, and how many mapped entries were duplicates."""

    stations: list[tuple[str, Location]]
    hospitals: list[tuple[str, Location]]
    merged_stations: int = 0
    merged_hospitals: int = 0


def merge_sites(
    entries: Sequence[tuple[str, float, float]], *, within_m: float = SAME_SITE_M
) -> list[tuple[str, float, float]]:
    """``(name, lon, lat)`` entries of one group folded into distinct sites (see the module
    docstring): same name or one unnamed, within ``within_m``; transitive; the first entry
    of a site gives its position, its first real name its name."""
    parent = list(range(len(entries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (name_i, lon_i, lat_i) in enumerate(entries):
        for j in range(i):
            name_j, lon_j, lat_j = entries[j]
            if not (name_i == name_j or name_i in UNNAMED or name_j in UNNAMED):
                continue
            if Location(lon_i, lat_i).distance_m(Location(lon_j, lat_j)) <= within_m:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    sites: dict[int, list[tuple[str, float, float]]] = {}
    for i, entry in enumerate(entries):
        sites.setdefault(root(i), []).append(entry)
    out = []
    for members in sites.values():
        _, lon, lat = members[0]
        named = [m[0] for m in members if m[0] not in UNNAMED]
        out.append((named[0] if named else members[0][0], lon, lat))
    return out


def spread_order(locations: Sequence[Location], center: Location) -> list[int]:
    """Indices of ``locations`` farthest-first: the one nearest ``center``, then repeatedly
    the one farthest from all chosen so far (ties: the lower index)."""
    if not locations:
        return []
    first = min(range(len(locations)), key=lambda i: (locations[i].distance_m(center), i))
    order = [first]
    gap = [loc.distance_m(locations[first]) for loc in locations]
    while len(order) < len(locations):
        nxt = max((i for i in range(len(locations)) if i not in order), key=lambda i: (gap[i], -i))
        order.append(nxt)
        gap = [
            min(g, loc.distance_m(locations[nxt])) for g, loc in zip(gap, locations, strict=True)
        ]
    return order


def deal_units(units: int, stations: int, order: Sequence[int]) -> list[int]:
    """The station index of each of ``units`` ambulances: round-robin over the stations in
    their own order, or, with more stations than units, over the first ``units`` of
    ``order`` (farthest-first), so every unit has a station of its own."""
    if stations <= 0:
        return []
    if units >= stations:
        return [i % stations for i in range(units)]
    return list(order[:units])


def _on_road(network: RoadNetwork, lon: float, lat: float) -> Location:
    snap = network.snap(lon, lat, max_distance_m=1e7)
    return Location(snap.lon, snap.lat)


#: The demo layout's names in the centre's language (``GOLDENHOUR_LANGUAGE``): a Chinese 120
#: centre's board reads 中心医院（演示）, not "Central Hospital (demo)".
_QUADRANTS = (
    (Text("North-West", "西北"), 0.25, 0.75),
    (Text("North-East", "东北"), 0.75, 0.75),
    (Text("South-West", "西南"), 0.25, 0.25),
    (Text("South-East", "东南"), 0.75, 0.25),
)
_STATION = Text("Ambulance Station {quadrant} (demo)", "{quadrant}急救站（演示）")
CENTRAL_HOSPITAL = Text("Central Hospital (demo)", "中心医院（演示）")
HARBOUR_HOSPITAL = Text("Harbour Hospital (demo)", "港区医院（演示）")


def plan_sites(network: RoadNetwork, *, language: str = "en") -> SitePlan:
    """The distinct stations and hospitals as (name, on-road location): OSM first, duplicates
    merged (module docstring), then the demo layout where the map has too few, named in
    ``language``."""
    station_entries = [
        (p.name, p.lon, p.lat)
        for kind in ("ambulance_station", "fire_station")
        for p in network.pois(kind)
    ]
    hospital_entries = [(p.name, p.lon, p.lat) for p in network.pois("hospital")]
    station_sites = merge_sites(station_entries)
    hospital_sites = merge_sites(hospital_entries)
    stations = [(name, _on_road(network, lon, lat)) for name, lon, lat in station_sites]
    hospitals = [(name, _on_road(network, lon, lat)) for name, lon, lat in hospital_sites]
    west, south, east, north = network.bbox
    for quadrant, fx, fy in _QUADRANTS[: max(0, MIN_STATIONS - len(stations))]:
        location = _on_road(network, west + fx * (east - west), south + fy * (north - south))
        name = _STATION.get(language).format(quadrant=quadrant.get(language))
        stations.append((name, location))
    if not hospitals:
        cx, cy = network.center
        hospitals.append((CENTRAL_HOSPITAL.get(language), _on_road(network, cx, cy)))
        corner = _on_road(network, west + 0.8 * (east - west), south + 0.15 * (north - south))
        hospitals.append((HARBOUR_HOSPITAL.get(language), corner))
    return SitePlan(
        _unique(stations),
        _unique(hospitals),
        merged_stations=len(station_entries) - len(station_sites),
        merged_hospitals=len(hospital_entries) - len(hospital_sites),
    )


#: Demo capabilities: OSM does not say what a hospital can treat. The demo's central hospital
#: can treat everything; a second demo hospital only trauma and children; hospitals read from
#: OSM get a general-hospital set. Real deployments set them (POST /hospitals/{id}/status).
DEMO_CAPABILITIES = {
    name: capabilities
    for hospital, capabilities in (
        (CENTRAL_HOSPITAL, ["burns", "obstetric", "pci", "pediatric", "stroke", "trauma_1"]),
        (HARBOUR_HOSPITAL, ["pediatric", "trauma_2"]),
    )
    for name in (hospital.en, hospital.zh)
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
    engine: AsyncEngine,
    network: RoadNetwork,
    *,
    units: int = 12,
    demo_logins: bool = False,
    language: str = "en",
) -> SeedReport:
    """Seed the map's sites, the fleet and one login per role (and per unit and hospital), with
    password = user name.

    ``demo_logins`` (``GOLDENHOUR_DEMO_LOGINS``, ``make demo`` and the tests): every seeded login
    is (re)set to that password and works as it is. Otherwise only missing logins are created, and
    they must choose a new password at first login; accounts that exist (and their passwords) are
    left as they are, so seeding again never undoes an admin's work.
    """
    plan = plan_sites(network, language=language)
    stations, hospitals = plan.stations, plan.hospitals
    center = Location(*network.center)
    homes = deal_units(units, len(stations), spread_order([loc for _, loc in stations], center))
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
        for i, home in enumerate(homes):
            station_id, location = placed[home]
            await conn.execute(
                insert(t.units)
                .values(
                    call_sign=f"A{i + 1:02d}",
                    capability="ALS" if i % 2 == 0 else "BLS",
                    # every fourth unit (A01, A05, A09...) is fitted for isolated transport
                    isolation=i % 4 == 0,
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
    return SeedReport(
        len(stations),
        len(hospitals),
        len(fleet),
        users,
        created,
        merged_stations=plan.merged_stations,
        merged_hospitals=plan.merged_hospitals,
    )
