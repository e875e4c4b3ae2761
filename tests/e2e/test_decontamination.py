"""The console shows a unit in decontamination after an infectious transport, and shows it come
back when the server ends the decontamination (#18 item 6)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Page, expect

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, login


@pytest.fixture
async def a05_isolates(database_url: str, reset_fleet: None) -> AsyncIterator[None]:
    """Fleet configuration (test housekeeping, as the seed does it): A05 can isolate."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE units SET isolation = call_sign = 'A05'")
        yield
        await conn.execute("UPDATE units SET isolation = false")
    finally:
        await conn.close()


async def test_console_shows_decontamination_until_the_server_ends_it(
    page: Page,
    server: ServerProcess,
    http: httpx.AsyncClient,
    a05_isolates: None,
    artifacts: Path,
) -> None:
    await page.goto(server.url)
    await page.get_by_test_id("login-username").fill("dispatcher")
    await page.get_by_test_id("login-password").fill("dispatcher")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)

    dispatcher = await login(http, "dispatcher")
    listed = (await http.get("/api/v1/units", headers=dispatcher)).json()
    a05 = next(u for u in listed if u["call_sign"] == "A05")
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 5),
            "complaint": "fever and cough since yesterday",
            "priority": 3,
        },
    )
    incident = r.json()
    assert incident["infectious"] is True
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": a05["id"]},
    )
    assert r.status_code == 201, r.text
    crew = await login(http, "crew-a05")
    for status in ("en_route", "on_scene", "transporting", "at_hospital", "available"):
        r = await http.post(
            f"/api/v1/units/{a05['id']}/status", headers=crew, json={"status": status}
        )
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "decontamination"

    raw = page.get_by_test_id(f"unit-status-{a05['id']}")
    await expect(raw).to_have_text("decontamination", timeout=30_000)
    await expect(page.get_by_test_id(f"unit-row-{a05['id']}")).to_contain_text("Decontamination")
    await page.screenshot(path=str(artifacts / "console-decontamination.png"))
    # the test server's decontamination lasts 6 s (tests/conftest.py): it ends by itself
    await expect(raw).to_have_text("available", timeout=30_000)
