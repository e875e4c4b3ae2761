"""An ambulance crew on a phone, after the scene: taking the patient to the hospital the dispatcher
chose (or one the crew picks), driving back to quarters, and being moved up to cover a gap."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.conftest import ServerProcess
from tests.support import ConsoleSocket, a_point_on_a_road, login, token_of


async def _phone(browser: Browser) -> BrowserContext:
    return await browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": 24.944, "latitude": 60.169},
        permissions=["geolocation"],
    )


async def _sign_in(page: Page, server: ServerProcess, username: str) -> None:
    await page.goto(server.url + "/crew/")
    await page.get_by_test_id("crew-login-username").fill(username)
    await page.get_by_test_id("crew-login-password").fill(username)
    await page.get_by_test_id("crew-login-submit").click()
    await expect(page.get_by_test_id("crew-unit-status")).to_have_text("available", timeout=30_000)


async def _unit(http: httpx.AsyncClient, headers: dict[str, str], call_sign: str) -> dict[str, Any]:
    units = (await http.get("/api/v1/units", headers=headers)).json()
    return next(u for u in units if u["call_sign"] == call_sign)


async def _eventually(check, expected: object, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while await check() != expected:
            await asyncio.sleep(0.2)


async def _route_end(page: Page) -> tuple[float, float]:
    end = await page.get_by_test_id("crew-map").get_attribute("data-route-end")
    assert end, "a route is drawn"
    lon, lat = (float(x) for x in end.split(","))
    return lon, lat


async def _route_leads_to(page: Page, place: list[float], timeout: float = 30.0) -> None:
    """Wait until the route drawn ends at ``place`` (a new route is fetched when it changes)."""
    crew_map = page.get_by_test_id("crew-map")
    async with asyncio.timeout(timeout):
        while True:
            end = await crew_map.get_attribute("data-route-end")
            if end and _near(tuple(float(x) for x in end.split(",")), place):  # type: ignore[arg-type]
                return
            await asyncio.sleep(0.2)


def _near(point: tuple[float, float], place: list[float], within_deg: float = 0.005) -> bool:
    """The route ends at the road point nearest the place (a few hundred metres at most)."""
    return abs(point[0] - place[0]) < within_deg and abs(point[1] - place[1]) < within_deg


async def test_a_transporting_crew_is_routed_to_its_hospital_then_drives_back_to_quarters(
    browser: Browser,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    context = await _phone(browser)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dispatcher = await login(http, "dispatcher")
    a09 = await _unit(http, dispatcher, "A09")
    await _sign_in(page, server, "crew-a09")

    incident = (
        await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, 17),
                "complaint": "fall, hip pain",
                "priority": 2,
            },
        )
    ).json()
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": a09["id"]},
    )
    assert r.status_code == 201, r.text
    await expect(page.get_by_test_id("crew-incident-number")).to_have_text(
        incident["number"], timeout=30_000
    )
    crew_map = page.get_by_test_id("crew-map")
    await page.get_by_test_id("crew-ack").click()
    await page.get_by_test_id("crew-status-en_route").click()
    await expect(crew_map).to_have_attribute("data-leg", "incident")
    await page.get_by_test_id("crew-status-on_scene").click()
    await expect(page.get_by_test_id("crew-unit-status")).to_have_text("on_scene")
    await expect(page.get_by_test_id("crew-destination-name")).to_have_text(
        "No hospital chosen yet"
    )

    # The dispatcher picks the first hospital of the ranking; the crew sees it with its ED status.
    options = (
        await http.get(f"/api/v1/incidents/{incident['id']}/destinations", headers=dispatcher)
    ).json()["options"]
    ranked = [o for o in options if o["rank"] is not None]
    assert len(ranked) >= 2, options
    first, second = ranked[0]["hospital"], ranked[1]["hospital"]
    r = await http.post(
        f"/api/v1/units/{a09['id']}/destination",
        headers=dispatcher,
        json={"hospital_id": first["id"]},
    )
    assert r.status_code == 200, r.text
    await expect(page.get_by_test_id("crew-destination-name")).to_have_text(
        first["name"], timeout=30_000
    )
    await expect(page.get_by_test_id("crew-destination-ed")).to_have_attribute(
        "data-ed-status", first["ed_status"]
    )

    # Leaving the scene: the route now leads to the hospital, not to the incident.
    await page.get_by_test_id("crew-status-transporting").click()
    await expect(crew_map).to_have_attribute("data-leg", "hospital", timeout=30_000)
    assert _near(await _route_end(page), first["location"])
    assert not _near(await _route_end(page), incident["location"], 0.0005)
    await expect(page.get_by_test_id("crew-eta")).to_be_visible()
    await page.screenshot(path=str(artifacts / "crew-transporting.png"))

    # The crew judges the second hospital better and picks it from the short ranked list.
    await page.get_by_test_id("crew-choose-destination").click()
    choices = page.get_by_test_id("crew-destination-option")
    await expect(choices.first).to_be_visible(timeout=30_000)
    await page.locator(
        f'[data-testid="crew-destination-option"][data-hospital-id="{second["id"]}"]'
    ).click()
    await expect(page.get_by_test_id("crew-destination-name")).to_have_text(
        second["name"], timeout=30_000
    )
    assert (await _unit(http, dispatcher, "A09"))["destination_hospital_id"] == second["id"]
    await _route_leads_to(page, second["location"])

    # At the hospital, then driving back to quarters: "returning", free for a new call.
    await page.get_by_test_id("crew-status-at_hospital").click()
    await expect(crew_map).to_have_attribute("data-leg", "", timeout=30_000)
    await page.get_by_test_id("crew-status-returning").click()
    await expect(page.get_by_test_id("crew-unit-status")).to_have_text("returning")
    await _eventually(lambda: _status(http, dispatcher, "A09"), "returning")
    await expect(page.get_by_test_id("crew-idle")).to_have_attribute("data-status", "returning")
    await expect(page.get_by_test_id("crew-idle-hint")).to_contain_text("new call")
    for status in ("available", "out_of_service"):
        await expect(page.get_by_test_id(f"crew-status-{status}")).to_be_enabled()
    for status in ("dispatched", "en_route", "on_scene", "transporting", "at_hospital"):
        await expect(page.get_by_test_id(f"crew-status-{status}")).to_be_disabled()
    await expect(page.get_by_test_id("crew-status-returning")).to_have_attribute(
        "aria-current", "true"
    )
    await page.screenshot(path=str(artifacts / "crew-returning.png"))

    # A returning unit may take the next call: its order reaches the crew as usual.
    second_call = (
        await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, 23),
                "complaint": "dizzy",
                "priority": 3,
            },
        )
    ).json()
    r = await http.post(
        f"/api/v1/incidents/{second_call['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": a09["id"]},
    )
    assert r.status_code == 201, r.text
    await expect(page.get_by_test_id("crew-incident-number")).to_have_text(
        second_call["number"], timeout=30_000
    )
    await expect(page.get_by_test_id("crew-unit-status")).to_have_text("dispatched")
    await page.get_by_test_id("crew-status-en_route").click()
    await page.get_by_test_id("crew-status-on_scene").click()
    await page.get_by_test_id("crew-status-returning").click()
    await _eventually(lambda: _status(http, dispatcher, "A09"), "returning")
    await page.get_by_test_id("crew-status-available").click()
    await _eventually(lambda: _status(http, dispatcher, "A09"), "available")
    await expect(page.get_by_test_id("crew-unit-status")).to_have_text("available")
    await context.close()
    assert not errors, errors


async def _status(http: httpx.AsyncClient, headers: dict[str, str], call_sign: str) -> str:
    return str((await _unit(http, headers, call_sign))["status"])


async def test_a_move_up_order_reaches_the_crew_and_is_resent_until_acknowledged(
    browser: Browser,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    posts_restored: None,
    artifacts: Path,
) -> None:
    context = await _phone(browser)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    frames: list[dict[str, Any]] = []

    def watch(ws: Any) -> None:
        if ws.url.endswith("/ws/crew"):
            ws.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", watch)
    dispatcher = await login(http, "dispatcher")
    a10 = await _unit(http, dispatcher, "A10")
    stations = (await http.get("/api/v1/stations", headers=dispatcher)).json()
    post = next(s for s in stations if s["id"] != a10["station_id"])
    await _sign_in(page, server, "crew-a10")
    await expect(page.get_by_test_id("crew-connection")).to_have_attribute(
        "data-state", "connected", timeout=30_000
    )
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    await console.wait_for(lambda m: m["type"] == "snapshot")

    r = await http.post(
        f"/api/v1/units/{a10['id']}/relocate", headers=dispatcher, json={"station_id": post["id"]}
    )
    assert r.status_code == 200, r.text
    order_id = r.json()["order_id"]

    card = page.get_by_test_id("crew-relocation")
    await expect(card).to_be_visible(timeout=30_000)
    await expect(card).to_have_attribute("data-order-id", str(order_id))
    await expect(page.get_by_test_id("crew-relocation-station")).to_contain_text(post["name"])
    await expect(page.get_by_test_id("crew-relocation-ack")).to_be_visible()
    await expect(page.get_by_test_id("crew-map")).to_have_attribute("data-leg", "station")
    assert _near(await _route_end(page), post["location"])
    await expect(page.get_by_test_id("crew-relocation-eta")).to_be_visible()

    def resends() -> int:
        return sum(
            1
            for f in frames
            if f.get("type") == "relocation" and f.get("order_id") == order_id and f.get("resent")
        )

    async with asyncio.timeout(15):  # the server resends every second in tests
        while resends() < 2:
            await asyncio.sleep(0.2)
    await page.screenshot(path=str(artifacts / "crew-move-up.png"))

    await page.get_by_test_id("crew-relocation-ack").click()
    await _eventually(
        lambda: _acknowledged(http, dispatcher, "A10"), True
    )  # the ack reached the server
    seen = await console.wait_event("OrderAcknowledged", order_id=order_id, timeout=30)
    assert seen["data"]["unit"]["station_id"] == post["id"]
    await expect(page.get_by_test_id("crew-relocation-ack")).to_be_hidden()
    await expect(card).to_contain_text("Acknowledged")

    await asyncio.sleep(1.0)  # an ack and a resend may cross on the wire
    settled = resends()
    await asyncio.sleep(3.0)
    assert resends() == settled, "no more resends once acknowledged"
    await console.close()
    await context.close()
    assert not errors, errors


async def _acknowledged(http: httpx.AsyncClient, headers: dict[str, str], call_sign: str) -> bool:
    return bool((await _unit(http, headers, call_sign))["acknowledged_at"])


async def test_without_the_live_socket_the_crew_still_gets_its_move_up_by_polling(
    browser: Browser,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    posts_restored: None,
) -> None:
    context = await _phone(browser)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A network that drops WebSockets (some mobile proxies do): the app falls back to polling.
    await page.route_web_socket("**/ws/crew", lambda ws: ws.close())
    dispatcher = await login(http, "dispatcher")
    a11 = await _unit(http, dispatcher, "A11")
    stations = (await http.get("/api/v1/stations", headers=dispatcher)).json()
    post = next(s for s in stations if s["id"] != a11["station_id"])
    await _sign_in(page, server, "crew-a11")
    await expect(page.get_by_test_id("crew-connection")).not_to_have_attribute(
        "data-state", "connected"
    )

    r = await http.post(
        f"/api/v1/units/{a11['id']}/relocate", headers=dispatcher, json={"station_id": post["id"]}
    )
    order_id = r.json()["order_id"]
    card = page.get_by_test_id("crew-relocation")
    await expect(card).to_have_attribute("data-order-id", str(order_id), timeout=30_000)
    await expect(page.get_by_test_id("crew-relocation-station")).to_contain_text(post["name"])
    await page.get_by_test_id("crew-relocation-ack").click()
    await _eventually(lambda: _acknowledged(http, dispatcher, "A11"), True)
    await expect(page.get_by_test_id("crew-relocation-ack")).to_be_hidden()
    await context.close()
    assert not errors, errors


async def test_the_console_flags_a_move_up_the_crew_has_not_acknowledged(
    page: Page,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    posts_restored: None,
) -> None:
    """A crew that never saw its new post leaves the district it was moved to cover uncovered:
    the dispatcher sees "not ack'd" on the unit until the crew confirms, as for a dispatch."""
    dispatcher = await login(http, "dispatcher")
    a11 = await _unit(http, dispatcher, "A11")
    stations = (await http.get("/api/v1/stations", headers=dispatcher)).json()
    post = next(s for s in stations if s["id"] != a11["station_id"])
    await page.goto(server.url)
    await page.get_by_test_id("login-username").fill("dispatcher")
    await page.get_by_test_id("login-password").fill("dispatcher")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    flag = page.get_by_test_id(f"unit-unacked-{a11['id']}")
    await expect(flag).to_be_hidden()

    r = await http.post(
        f"/api/v1/units/{a11['id']}/relocate", headers=dispatcher, json={"station_id": post["id"]}
    )
    assert r.status_code == 200, r.text
    order_id = r.json()["order_id"]
    await expect(flag).to_be_visible(timeout=15_000)  # GOLDENHOUR_ACK_ALERT_AFTER_S=4 in tests

    crew = await login(http, "crew-a11")
    r = await http.post(f"/api/v1/units/{a11['id']}/orders/{order_id}/ack", headers=crew)
    assert r.status_code == 200, r.text
    await expect(flag).to_be_hidden(timeout=15_000)
