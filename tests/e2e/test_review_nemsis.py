"""A supervisor downloads the NEMSIS XML of a time range from the review page: a ZIP whose files
pass the XSDs and the national Schematron; without a range, the page says what is missing."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.conftest import ServerProcess
from tests.nemsis_support import validator
from tests.support import a_point_on_a_road, login


async def test_supervisor_exports_nemsis_xml_from_the_review_page(
    page: Page, server: ServerProcess, http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": await a_point_on_a_road(http, 33), "complaint": "fall", "priority": 3},
    )
    incident = r.json()
    unit = (await http.get("/api/v1/units", headers=dispatcher)).json()[0]
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit["id"]},
    )
    assert r.status_code == 201, r.text
    for status in ("en_route", "on_scene", "available"):
        r = await http.post(
            f"/api/v1/units/{unit['id']}/status", headers=dispatcher, json={"status": status}
        )
        assert r.status_code == 200, r.text

    await page.goto(server.url + "/review/")
    await page.get_by_test_id("login-username").fill("supervisor")
    await page.get_by_test_id("login-password").fill("supervisor")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("review-form")).to_have_attribute(
        "data-busy", "false", timeout=30_000
    )
    button = page.get_by_test_id("nemsis-export")
    await expect(button).to_have_text("Export NEMSIS XML")
    await page.get_by_test_id("review-from").fill("")
    await page.get_by_test_id("review-to").fill("")
    await button.click()
    await expect(page.get_by_text("Choose a from and a to time")).to_be_visible()

    now = datetime.now()
    await page.get_by_test_id("review-from").fill(
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    await page.get_by_test_id("review-to").fill(
        (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    )
    async with page.expect_download() as download:
        await button.click()
    got = await download.value
    assert got.suggested_filename.startswith("nemsis-") and got.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(Path(await got.path())) as archive:
        name = f"EMS-{incident['number']}.xml"
        assert name in archive.namelist() and "DEM.xml" in archive.namelist()
        result = validator().validate(archive.read(name))
    assert result.xsd_errors == [] and result.errors == [], (result.xsd_errors, result.errors)
    await expect(page.get_by_text("NEMSIS XML exported")).to_be_visible()
