"""The dispatcher's screen tells the truth about time: how old a unit's GPS fix is, how long a
crew has been on scene, what the centre's clock says, and every status a unit can be in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.conftest import ServerProcess
from tests.support import login


async def _log_in(page: Page, user: str) -> None:
    await page.get_by_test_id("login-username").fill(user)
    await page.get_by_test_id("login-password").fill(user)
    await page.get_by_test_id("login-submit").click()


async def _sql(database_url: str, statement: str, *args: object) -> None:
    """Test housekeeping, like ``reset_fleet``: put units in a state without events."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(statement, *args)
    finally:
        await conn.close()


async def _units(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=headers)).json()}


async def test_a_unit_whose_gps_went_silent_shows_its_age_in_the_recommendations(
    page: Page,
    server: ServerProcess,
    http: httpx.AsyncClient,
    database_url: str,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    dispatcher = await login(http, "dispatcher")
    units = await _units(http, dispatcher)
    # Every phone in the fleet went quiet ten minutes ago (a network outage).
    await _sql(database_url, "UPDATE units SET position_at = now() - interval '10 minutes'")
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": units["A03"]["position"], "complaint": "fall", "priority": 3},
    )
    incident = r.json()
    await page.goto(server.url)
    await _log_in(page, "dispatcher")
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    await page.get_by_test_id(f"incident-row-{incident['id']}").click()
    first = page.locator("[data-testid^='recommendation-row-']").first
    await expect(first).to_have_attribute("data-stale", "true", timeout=30_000)
    unit_id = await first.get_attribute("data-unit-id")
    flag = page.get_by_test_id(f"recommendation-stale-{unit_id}")
    await expect(flag).to_be_visible()
    await expect(flag).to_contain_text("GPS 10:")  # "GPS 10:02 old"
    await expect(page.get_by_test_id(f"recommendation-reason-{unit_id}")).to_contain_text("old")
    # The optimiser's one-line reason says the same: its pick is judged by an old position.
    advice = page.get_by_test_id("advice")
    await expect(advice).to_have_attribute("data-reason-code", "stale", timeout=30_000)
    await expect(page.get_by_test_id("advice-reason")).to_contain_text("last known position")
    assert await advice.get_attribute("data-policy") == "joint-coverage"
    await page.screenshot(path=str(artifacts / "console-stale-recommendation.png"))


async def test_a_crew_too_long_on_scene_raises_the_alarm_and_returning_is_shown(
    page: Page,
    server: ServerProcess,
    http: httpx.AsyncClient,
    database_url: str,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    dispatcher = await login(http, "dispatcher")
    units = await _units(http, dispatcher)
    on_scene, returning = units["A05"], units["A06"]
    try:
        # A05 has been on scene for 31 minutes (the threshold is 30); A06 is driving home.
        await _sql(
            database_url,
            "UPDATE units SET status = 'on_scene', status_at = now() - interval '31 minutes' "
            "WHERE id = $1",
            on_scene["id"],
        )
        await _sql(
            database_url,
            "UPDATE units SET status = 'returning', status_at = now() WHERE id = $1",
            returning["id"],
        )
        await page.goto(server.url)
        await _log_in(page, "dispatcher")
        await expect(page.get_by_test_id("connection-status")).to_have_text(
            "connected", timeout=30_000
        )
        alarm = page.get_by_test_id(f"unit-alarm-{on_scene['id']}")
        await expect(alarm).to_be_visible(timeout=30_000)
        await expect(alarm).to_have_text("> 30:00")
        board = page.locator("#panel-units")
        await expect(board).to_have_attribute("data-status-alarms", "1")  # sounded once
        await page.wait_for_timeout(2500)  # a few more ticks: still once per crossing
        await expect(board).to_have_attribute("data-status-alarms", "1")
        await alarm.click()
        await expect(alarm).to_have_attribute("data-acked", "true")
        await expect(page.get_by_test_id(f"unit-alarm-{returning['id']}")).to_be_hidden()

        await expect(page.get_by_test_id(f"unit-status-{returning['id']}")).to_have_text(
            "returning"
        )
        row = page.get_by_test_id(f"unit-row-{returning['id']}")
        await expect(row).to_contain_text("Returning")
        colour = await row.locator(".status").evaluate("e => e.style.getPropertyValue('--st')")
        assert colour == "#40c057"
        await page.screenshot(path=str(artifacts / "console-status-alarm.png"))
    finally:
        await _sql(
            database_url,
            "UPDATE units SET status = 'available', status_at = now() WHERE id = ANY($1::int[])",
            [on_scene["id"], returning["id"]],
        )


@pytest.fixture
def shanghai_server(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A third app process for a centre in Shanghai (UTC+8, no daylight saving)."""
    proc = ServerProcess(env={**server_env, "GOLDENHOUR_TIMEZONE": "Asia/Shanghai"})
    proc.log_path = tmp_path_factory.mktemp("shanghai-e2e") / "server.log"
    proc.start()
    yield proc
    proc.stop()


def _shanghai(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")) + timedelta(hours=8)


async def test_times_show_in_the_centre_time_zone_not_the_browser_one_and_review_shows_returning(
    browser: Browser, shanghai_server: ServerProcess, reset_fleet: None, artifacts: Path
) -> None:
    async with httpx.AsyncClient(base_url=shanghai_server.url, timeout=15) as http:
        dispatcher = await login(http, "dispatcher")
        units = await _units(http, dispatcher)
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={"location": units["A08"]["position"], "complaint": "dizzy", "priority": 4},
        )
        incident = r.json()
        unit = units["A08"]
        await http.post(
            f"/api/v1/incidents/{incident['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": unit["id"]},
        )
        crew = await login(http, "crew-a08")
        for status in ("en_route", "on_scene", "returning"):
            r = await http.post(
                f"/api/v1/units/{unit['id']}/status", headers=crew, json={"status": status}
            )
            assert r.status_code == 200, r.text
        await http.post(
            f"/api/v1/units/{unit['id']}/status", headers=crew, json={"status": "available"}
        )
        other = (
            await http.post(
                "/api/v1/incidents",
                headers=dispatcher,
                json={"location": units["A09"]["position"], "complaint": "cough", "priority": 4},
            )
        ).json()
    received = _shanghai(other["received_at"]).strftime("%H:%M:%S")
    in_new_york = (_shanghai(other["received_at"]) - timedelta(hours=13)).strftime("%H:%M:%S")

    # The dispatcher's browser thinks it is in New York; the centre is in Shanghai.
    context = await browser.new_context(
        viewport={"width": 1440, "height": 900}, timezone_id="America/New_York"
    )
    try:
        page = await context.new_page()
        await page.goto(shanghai_server.url)
        await _log_in(page, "dispatcher")
        await expect(page.get_by_test_id("connection-status")).to_have_text(
            "connected", timeout=30_000
        )
        row = page.get_by_test_id(f"incident-row-{other['id']}")
        await expect(row).to_contain_text(received, timeout=30_000)
        await expect(row).not_to_contain_text(in_new_york)
        await page.screenshot(path=str(artifacts / "console-time-zone.png"))

        review = await context.new_page()
        await review.goto(shanghai_server.url + "/review/")
        await _log_in(review, "supervisor")
        await expect(review.get_by_test_id("review-time-zone")).to_have_text(
            "Asia/Shanghai", timeout=30_000
        )
        # The search window is typed on the centre's clock too (four minutes around the call).
        at = _shanghai(incident["received_at"])
        await review.get_by_test_id("review-from").fill(
            (at - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
        )
        await review.get_by_test_id("review-to").fill(
            (at + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
        )
        await review.get_by_test_id("review-search").click()
        found = review.get_by_test_id(f"review-row-{incident['id']}")
        await expect(found).to_contain_text(
            _shanghai(incident["received_at"]).strftime("%Y-%m-%d %H:%M:%S"), timeout=30_000
        )
        await found.click()
        back = review.locator("[data-testid^='timeline-row-'][data-status='returning']")
        await expect(back).to_contain_text("On scene → Returning", timeout=30_000)
        await review.screenshot(path=str(artifacts / "review-time-zone-returning.png"))
    finally:
        await context.close()
