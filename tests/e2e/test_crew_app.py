"""An ambulance crew on a phone: receive the order, confirm it, work the call, lose signal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, login


async def _unit_status(http: httpx.AsyncClient, headers: dict[str, str], unit_id: int) -> str:
    units = (await http.get("/api/v1/units", headers=headers)).json()
    return str(next(u["status"] for u in units if u["id"] == unit_id))


async def _eventually(check, expected: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while (value := await check()) != expected:
            await asyncio.sleep(0.2)
    assert value == expected


async def test_crew_confirms_works_the_call_and_survives_a_network_drop(
    browser: Browser,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": 24.944, "latitude": 60.169},
        permissions=["geolocation"],
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dispatcher = await login(http, "dispatcher")
    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    unit_id = units["A05"]["id"]

    await page.goto(server.url + "/crew/")
    await page.get_by_test_id("crew-login-username").fill("crew-a05")
    await page.get_by_test_id("crew-login-password").fill("crew-a05")
    await page.get_by_test_id("crew-login-submit").click()
    await expect(page.get_by_test_id("crew-unit-status")).to_have_text("available", timeout=30_000)

    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 11),
            "complaint": "breathing difficulty",
            "priority": 1,
        },
    )
    incident = r.json()
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit_id},
    )
    assert r.status_code == 201, r.text

    await expect(page.get_by_test_id("crew-incident-number")).to_have_text(
        incident["number"], timeout=30_000
    )
    await expect(page.get_by_test_id("crew-unit-status")).to_have_text("dispatched")
    await page.get_by_test_id("crew-ack").click()

    async def acknowledged() -> str:
        view = (await http.get(f"/api/v1/units/{unit_id}/assignment", headers=dispatcher)).json()
        return "yes" if view["acknowledged_at"] else "no"

    await _eventually(acknowledged, "yes")
    await page.get_by_test_id("crew-status-en_route").click()
    await _eventually(lambda: _unit_status(http, dispatcher, unit_id), "en_route")
    await page.screenshot(path=str(artifacts / "crew-app.png"))

    await context.set_offline(True)
    await page.get_by_test_id("crew-status-on_scene").click()
    offline = page.get_by_test_id("crew-offline")
    await expect(offline).to_have_attribute("data-count", "1", timeout=30_000)
    assert await _unit_status(http, dispatcher, unit_id) == "en_route", "nothing reached us yet"
    await context.set_offline(False)
    await _eventually(lambda: _unit_status(http, dispatcher, unit_id), "on_scene")
    await expect(offline).to_have_attribute("data-count", "0", timeout=30_000)

    await page.get_by_test_id("crew-status-available").click()
    await _eventually(lambda: _unit_status(http, dispatcher, unit_id), "available")
    closed = (await http.get(f"/api/v1/incidents/{incident['id']}", headers=dispatcher)).json()
    assert closed["status"] == "closed"
    await context.close()
    assert not errors, errors
