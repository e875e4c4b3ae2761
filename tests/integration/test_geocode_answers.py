"""What the call-taker gets back from the address search: the flat or suite the caller named
kept apart from the match, and a place that is an area (a fire station's grounds, a campus)
with its outline, so the console can show where the grounds are, not only a pin."""

from __future__ import annotations

import httpx

from tests.support import login


async def test_an_address_with_a_flat_number_keeps_the_flat_as_its_unit(
    http: httpx.AsyncClient,
) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.get(
        "/api/v1/geocode", params={"q": "Erottajankatu 15 Apt 4"}, headers=dispatcher
    )
    assert r.status_code == 200, r.text
    first = r.json()[0]
    assert first["kind"] == "address" and first["label"].startswith("Erottajankatu 15")
    assert first["unit"] == "Apt 4" and first["outline"] is None
    plain = (
        await http.get("/api/v1/geocode", params={"q": "Erottajankatu 15"}, headers=dispatcher)
    ).json()[0]
    assert plain["unit"] is None
    assert plain["location"] == first["location"], "the flat does not move the door"


async def test_a_place_that_is_an_area_answers_with_its_outline(http: httpx.AsyncClient) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.get("/api/v1/geocode", params={"q": "Erottajan paloasema"}, headers=dispatcher)
    assert r.status_code == 200, r.text
    station = r.json()[0]
    assert station["kind"] == "poi" and station["label"].startswith("Erottajan paloasema")
    ring = station["outline"]
    assert ring is not None and len(ring) >= 4 and ring[0] == ring[-1]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    lon, lat = station["location"]
    slack = 0.0002  # about 15 m: the main entrance lies on the outline
    assert min(lons) - slack <= lon <= max(lons) + slack
    assert min(lats) - slack <= lat <= max(lats) + slack
