"""The map itself: extent, road basemap, geocoding, routes, coverage and stations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from dispatch.api.deps import ContainerDep, Reads, ServiceDeps, User
from dispatch.api.problems import Problem
from dispatch.api.schemas.answers import (
    Coverage,
    GeocodeHit,
    MapInfo,
    ReverseHit,
    Roads,
    RouteAnswer,
)
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.resources import Site
from dispatch.api.schemas.types import PlainText
from dispatch.domain.geo import Location
from dispatch.domain.model import DISPATCHABLE

router = APIRouter(tags=["map"])


class GeoJsonResponse(JSONResponse):
    """Documents the basemap as ``application/geo+json`` in OpenAPI."""

    media_type = "application/geo+json"


@router.get("/map", response_model=MapInfo, responses=problems())
async def map_info(container: ContainerDep) -> dict[str, Any]:
    network = container.network
    return {"name": network.name, "bbox": list(network.bbox), "center": list(network.center)}


@router.get(
    "/map/roads", response_class=GeoJsonResponse, response_model=Roads, responses=problems()
)
async def roads(container: ContainerDep) -> Response:
    """The basemap's road lines; public like a paper map, cached by the browser for an hour."""
    # Encoded once at start-up and sent as bytes: never re-validated, it is megabytes.
    return Response(
        container.roads_geojson_bytes(),
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/geocode", response_model=list[GeocodeHit], responses=problems(401, 422))
async def geocode(
    _: User,
    deps: ServiceDeps,
    q: Annotated[PlainText, Query(max_length=300)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[dict[str, Any]]:
    return [
        {
            "label": p.label,
            "location": p.location.as_lonlat(),
            "kind": p.kind,
            "score": round(p.score, 3),
            "interpolated": p.interpolated,
            "unit": p.unit,
            "outline": None if p.outline is None else [c.as_lonlat() for c in p.outline],
        }
        for p in deps.geocoder.search(q, limit=limit)
    ]


@router.get("/coverage", response_model=Coverage, responses=problems(401, 422, 503))
async def coverage(
    _: User,
    reads: Reads,
    container: ContainerDep,
    minutes: Annotated[list[Annotated[float, Field(gt=0, le=60)]] | None, Query()] = None,
) -> dict[str, Any]:
    """Areas the available units reach by road within each time (default: 8 and 12 minutes),
    with the share of the road network covered: the console's coverage layer."""
    sources = [
        (u.position.lon, u.position.lat)
        for u in await reads.units()
        if u.status in DISPATCHABLE and u.position is not None
    ]
    seconds = sorted(m * 60 for m in (minutes or [8.0, 12.0]))
    features: list[dict[str, Any]] = []
    if sources:
        features = [iso.as_feature() for iso in container.network.isochrones(sources, seconds)]
    return {"type": "FeatureCollection", "features": features, "available_units": len(sources)}


@router.get("/reverse", response_model=ReverseHit, responses=problems(401, 404, 422))
async def reverse(
    _: User,
    deps: ServiceDeps,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
) -> dict[str, Any]:
    """Nearest address (within 50 m) or street for a point, e.g. the call-taker's pin."""
    place = deps.geocoder.reverse(Location(lon, lat))
    if place is None:
        raise Problem(404, "no-address-nearby", "No address or named street near this point")
    return {
        "label": place.label,
        "location": place.location.as_lonlat(),
        "kind": place.kind,
        "score": round(place.score, 3),
        "distance_m": None if place.distance_m is None else round(place.distance_m, 1),
    }


def _lonlat(text: str, name: str) -> Location:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise Problem(422, "validation-error", f"{name} must be 'lon,lat'") from None
    return Location(lon, lat)


@router.get("/route", response_model=RouteAnswer, responses=problems(401, 422))
async def route(
    _: User,
    deps: ServiceDeps,
    from_: Annotated[PlainText, Query(alias="from", max_length=60, description="lon,lat")],
    to: Annotated[PlainText, Query(max_length=60, description="lon,lat")],
) -> dict[str, Any]:
    r = deps.roads.route(_lonlat(from_, "from"), _lonlat(to, "to"))
    return {
        "route": r.as_geojson(),
        "eta_s": round(r.duration_s, 1),
        "distance_m": round(r.distance_m, 1),
    }


@router.get("/stations", response_model=list[Site], responses=problems(401, 503))
async def stations(_: User, reads: Reads) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "name": s.name, "location": s.location.as_lonlat()}
        for s in await reads.stations()
    ]
