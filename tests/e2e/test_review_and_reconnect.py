"""A supervisor reviews a finished call in the browser; a console survives a server restart."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, expect

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, login


async def _log_in(page: Page, user: str) -> None:
    await page.get_by_test_id("login-username").fill(user)
    await page.get_by_test_id("login-password").fill(user)
    await page.get_by_test_id("login-submit").click()


async def test_supervisor_finds_a_call_reads_its_timeline_kpis_and_exports_csv(
    page: Page,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 21),
            "complaint": "review me",
            "priority": 2,
        },
    )
    incident = r.json()
    best = (
        await http.get(f"/api/v1/incidents/{incident['id']}/recommendations", headers=dispatcher)
    ).json()[0]["unit"]
    await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": best["id"]},
    )
    crew = await login(http, f"crew-{best['call_sign'].lower()}")
    for status in ("en_route", "on_scene", "available"):
        await http.post(f"/api/v1/units/{best['id']}/status", headers=crew, json={"status": status})

    await page.goto(server.url + "/review/")
    await _log_in(page, "supervisor")
    await expect(page.get_by_test_id("review-form")).to_have_attribute(
        "data-busy", "false", timeout=30_000
    )
    now = datetime.now()
    await page.get_by_test_id("review-from").fill(
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    await page.get_by_test_id("review-to").fill(
        (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    )
    for n in (1, 3, 4):
        await page.get_by_test_id(f"review-priority-{n}").uncheck()
    await page.get_by_test_id("review-search").click()
    row = page.get_by_test_id(f"review-row-{incident['id']}")
    await expect(row).to_be_visible(timeout=30_000)

    await expect(page.get_by_test_id("kpi-row-2")).to_contain_text("90%")
    assert await page.get_by_test_id("kpi-chart").locator("svg").count() >= 1
    # China's 120 indicators under the KPIs (docs/indicators.md), in the page's language.
    indicators = page.get_by_test_id("indicators-table")
    await expect(indicators).to_contain_text("Calls answered within 10 s")
    await expect(page.get_by_test_id("indicator-departure")).to_contain_text("%")
    await expect(page.get_by_test_id("indicator-per-unit")).to_contain_text(best["call_sign"])

    await row.click()
    timeline = page.get_by_test_id("review-timeline")
    rows = timeline.locator("[data-testid^='timeline-row-']")
    await expect(rows.first).to_be_visible()
    names = await rows.evaluate_all("rs => rs.map(r => r.dataset.name)")
    assert names[0] == "CallReceived" and names[-1] == "IncidentClosed", names
    assert "UnitAssigned" in names
    await page.screenshot(path=str(artifacts / "review.png"))

    async with page.expect_download() as download:
        await page.get_by_test_id("csv-export").click()
    text = Path(await (await download.value).path()).read_text(encoding="utf-8")
    exported = list(csv.reader(io.StringIO(text)))
    assert exported[0][0] == "number"
    assert any(r[0] == incident["number"] for r in exported[1:])


async def test_console_resyncs_after_its_server_restarts_and_shows_what_happened_meanwhile(
    browser: Browser, servers: list[ServerProcess], reset_fleet: None
) -> None:
    front, other = servers[1], servers[0]
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    await page.goto(front.url)
    await _log_in(page, "dispatcher")
    status = page.get_by_test_id("connection-status")
    await expect(status).to_have_text("connected", timeout=30_000)

    front.stop()
    await expect(status).to_have_text("reconnecting", timeout=30_000)
    async with httpx.AsyncClient(base_url=other.url, timeout=15) as http:
        dispatcher = await login(http, "dispatcher")
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, 22),
                "complaint": "during the outage",
                "priority": 2,
                "address": None,
            },
        )
        assert r.status_code == 201, r.text
        made = r.json()
    front.start()
    await expect(status).to_have_text("connected", timeout=30_000)
    await expect(page.get_by_test_id(f"incident-row-{made['id']}")).to_be_visible(timeout=30_000)
    await context.close()


async def test_the_120_indicators_speak_chinese(page: Page, server: ServerProcess) -> None:
    await page.add_init_script("localStorage.setItem('gh.lang', 'zh')")
    await page.goto(server.url + "/review/")
    await _log_in(page, "auditor")
    indicators = page.get_by_test_id("indicators-table")
    await expect(indicators).to_contain_text("120呼救电话10秒内接听比例", timeout=30_000)
    await expect(indicators).to_contain_text("3分钟出车率")
    await expect(indicators).to_contain_text("平均每车出车次数")
    assert "Calls answered" not in await indicators.inner_text()
