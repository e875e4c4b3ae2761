"""A dispatcher in a real browser: log in, click the map to create a call, assign, watch it move."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, login


async def test_dispatcher_creates_a_call_by_clicking_the_map_and_assigns_a_unit(
    page: Page,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    await page.goto(server.url)
    await page.get_by_test_id("login-username").fill("dispatcher")
    await page.get_by_test_id("login-password").fill("dispatcher")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)

    # the map is fitted to the region and has rendered (not a fixed wait: a busy machine is slow)
    await expect(page.get_by_test_id("map")).to_have_attribute(
        "data-map-ready", "true", timeout=30_000
    )
    map_box = await page.get_by_test_id("map").bounding_box()
    assert map_box is not None
    await page.mouse.click(
        map_box["x"] + map_box["width"] / 2, map_box["y"] + map_box["height"] / 2
    )
    await expect(page.get_by_test_id("call-location")).to_contain_text(",")
    await page.get_by_test_id("call-complaint").fill("unconscious person, breathing")
    await page.get_by_test_id("call-priority").select_option("1")
    await page.get_by_test_id("call-submit").click()

    assign = page.locator("[data-testid^='assign-']").first
    await expect(assign).to_be_visible(timeout=30_000)
    unit_id = int((await assign.get_attribute("data-testid") or "").removeprefix("assign-"))
    await page.screenshot(path=str(artifacts / "console-recommendations.png"))
    await assign.click()
    status = page.get_by_test_id(f"unit-status-{unit_id}")
    await expect(status).to_have_text("dispatched", timeout=30_000)

    dispatcher = await login(http, "dispatcher")
    units = (await http.get("/api/v1/units", headers=dispatcher)).json()
    call_sign = next(u["call_sign"] for u in units if u["id"] == unit_id)
    crew = await login(http, f"crew-{call_sign.lower()}")
    r = await http.post(
        f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": "en_route"}
    )
    assert r.status_code == 200, r.text
    await expect(status).to_have_text("en_route", timeout=30_000)
    await page.screenshot(path=str(artifacts / "console.png"))


async def test_call_taker_types_an_address_picks_a_candidate_and_dispatches(
    page: Page, server: ServerProcess, reset_fleet: None, artifacts: Path
) -> None:
    await page.goto(server.url)
    await page.get_by_test_id("login-username").fill("dispatcher")
    await page.get_by_test_id("login-password").fill("dispatcher")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)

    await page.get_by_test_id("call-address").fill("Erottajank")  # typing, not finished
    await page.get_by_test_id("call-locate").click()
    first = page.get_by_test_id("geocode-candidate-0")
    await expect(first).to_contain_text("Erottajankatu", timeout=30_000)
    await first.click()
    await expect(page.get_by_test_id("call-location")).to_contain_text(",")
    await page.get_by_test_id("call-complaint").fill("fall on stairs, hip pain")
    await page.get_by_test_id("call-priority").select_option("3")
    await page.get_by_test_id("call-submit").click()

    assign = page.locator("[data-testid^='assign-']").first
    await expect(assign).to_be_visible(timeout=30_000)
    unit_id = int((await assign.get_attribute("data-testid") or "").removeprefix("assign-"))
    await assign.click()
    await expect(page.get_by_test_id(f"unit-status-{unit_id}")).to_have_text(
        "dispatched", timeout=30_000
    )
    row = page.locator("[data-testid^='incident-row-']", has_text="Erottajankatu").first
    await expect(row).to_be_visible()
    await page.screenshot(path=str(artifacts / "console-typeahead.png"))


async def test_optimiser_hint_assigns_in_one_click_and_move_ups_are_shown(
    page: Page, server: ServerProcess, http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 26),
            "complaint": "stroke signs",
            "priority": 2,
        },
    )
    incident = r.json()
    await page.goto(server.url)
    await page.get_by_test_id("login-username").fill("dispatcher")
    await page.get_by_test_id("login-password").fill("dispatcher")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    await expect(page.get_by_test_id("moveups")).to_be_visible(timeout=30_000)

    await page.get_by_test_id(f"incident-row-{incident['id']}").click()
    hint = page.get_by_test_id("advice")
    await expect(hint).to_be_visible(timeout=30_000)
    unit_id = int(await hint.get_attribute("data-unit-id") or "0")
    await page.get_by_test_id("advice-assign").click()
    await expect(page.get_by_test_id(f"unit-status-{unit_id}")).to_have_text(
        "dispatched", timeout=30_000
    )
    now = (await http.get(f"/api/v1/incidents/{incident['id']}", headers=dispatcher)).json()
    assert now["unit_ids"] == [unit_id]
