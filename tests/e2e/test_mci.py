"""A mass-casualty incident in real browsers (issue 17): the dispatcher declares it in the console,
a crew tags patients with one tap each in the crew app, the console's board counts them, the
dispatcher confirms the first planned transport, and the receiving ED's screen counts them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, login


async def _open_every_ed(http: httpx.AsyncClient) -> dict[int, dict[str, Any]]:
    """Both demo EDs open with beds (earlier stories may have diverted or closed them)."""
    supervisor = await login(http, "supervisor")
    hospitals = (await http.get("/api/v1/hospitals", headers=supervisor)).json()
    for h in hospitals:
        r = await http.post(
            f"/api/v1/hospitals/{h['id']}/status",
            headers=supervisor,
            json={"ed_status": "open", "beds_available": 20, "capability_beds": {}},
        )
        assert r.status_code == 200, r.text
    return {h["id"]: h for h in hospitals}


async def _incident_with_two_units(http: httpx.AsyncClient) -> tuple[dict[str, Any], int, int]:
    """A call with A05 on scene and A06 on its way: (incident, A05's id, A06's id)."""
    dispatcher = await login(http, "dispatcher")
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 31),
            "complaint": "bus crash, many injured",
            "priority": 3,  # any unit may go (A06 is BLS)
        },
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    ids = units["A05"]["id"], units["A06"]["id"]
    for unit_id in ids:
        r = await http.post(
            f"/api/v1/incidents/{incident['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": unit_id},
        )
        assert r.status_code == 201, r.text
    crew = await login(http, "crew-a05")
    for status in ("en_route", "on_scene"):
        r = await http.post(f"/api/v1/units/{ids[0]}/status", headers=crew, json={"status": status})
        assert r.status_code == 200, r.text
    return incident, ids[0], ids[1]


async def _sign_in(page: Page, url: str, username: str, prefix: str = "") -> None:
    await page.goto(url)
    await page.get_by_test_id(f"{prefix}login-username").fill(username)
    await page.get_by_test_id(f"{prefix}login-password").fill(username)
    await page.get_by_test_id(f"{prefix}login-submit").click()


async def test_declare_tag_from_the_crew_app_confirm_a_transport_and_the_ed_counts_it(
    page: Page,
    browser: Browser,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    hospitals = await _open_every_ed(http)
    incident, a05, a06 = await _incident_with_two_units(http)

    # The dispatcher opens the incident and declares the MCI.
    await _sign_in(page, server.url, "dispatcher")
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    await page.get_by_test_id(f"incident-row-{incident['id']}").click()
    panel = page.get_by_test_id("mci-panel")
    declare = panel.get_by_test_id("mci-declare")
    await expect(declare).to_be_visible(timeout=15_000)
    await panel.get_by_test_id("mci-patients-estimate").fill("3")
    await declare.click()
    await expect(panel.get_by_test_id("mci-level")).to_have_text("Level 1", timeout=15_000)
    await expect(panel.get_by_test_id("mci-count-immediate-on_scene")).to_have_text("0")

    crew_context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    ed_context = await browser.new_context(viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    try:
        # A05's crew tags three patients: one tap each.
        crew = await crew_context.new_page()
        crew.on("pageerror", lambda exc: errors.append(f"crew: {exc}"))
        await _sign_in(crew, server.url + "/crew/", "crew-a05", "crew-")
        triage = crew.get_by_test_id("crew-mci")
        await expect(triage).to_be_visible(timeout=30_000)
        for category in ("immediate", "immediate", "delayed"):
            await crew.get_by_test_id(f"crew-triage-{category}").click()
        tagged = crew.get_by_test_id("crew-triage-list")
        await expect(tagged).to_have_attribute("data-count", "3", timeout=15_000)
        await expect(crew.get_by_test_id("crew-triage-pending")).to_be_hidden(timeout=15_000)
        await expect(crew.get_by_test_id("crew-triage-patient-A05-1")).to_have_attribute(
            "data-category", "immediate"
        )
        await expect(crew.get_by_test_id("crew-triage-patient-A05-3")).to_have_attribute(
            "data-pending", "false"
        )
        await crew.screenshot(path=str(artifacts / "mci-crew.png"))

        # The console's board counts them (live: the MciPatientRegistered events).
        await expect(panel.get_by_test_id("mci-count-immediate-on_scene")).to_have_text(
            "2", timeout=15_000
        )
        await expect(panel.get_by_test_id("mci-count-delayed-on_scene")).to_have_text("1")
        await expect(panel.get_by_test_id("mci-count-minor-on_scene")).to_have_text("0")
        await expect(panel.get_by_test_id("mci-patient-A05-2")).to_be_visible()

        # The plan suggests transports; the first goes to some ED.
        first = panel.get_by_test_id("mci-transport-0")
        await expect(first).to_be_visible(timeout=30_000)
        await expect(first).to_have_attribute("data-confirmed", "false")
        unit_id = int(await first.get_attribute("data-unit-id") or "0")
        hospital_id = int(await first.get_attribute("data-hospital-id") or "0")
        assert hospital_id in hospitals, hospital_id
        carried = (await first.get_attribute("data-categories") or "").split(",")
        assert carried and all(c in ("immediate", "delayed") for c in carried), carried

        # That ED's screen, before the confirmation.
        ed = await ed_context.new_page()
        ed.on("pageerror", lambda exc: errors.append(f"ed: {exc}"))
        await _sign_in(ed, server.url + "/hospital/", f"hospital-{hospital_id}", "ed-")
        await expect(ed.get_by_test_id("ed-hospital-name")).to_have_text(
            hospitals[hospital_id]["name"], timeout=30_000
        )
        headers = await login(http, f"hospital-{hospital_id}")
        before = (
            await http.get(f"/api/v1/hospitals/{hospital_id}/mci/incoming", headers=headers)
        ).json()
        expected = {r["category"]: r["expected"] for r in before["rows"]}
        for category in ("immediate", "delayed"):
            await expect(ed.get_by_test_id(f"ed-mci-{category}-expected")).to_have_text(
                str(expected.get(category, 0)), timeout=15_000
            )

        # The dispatcher (as transport officer) confirms the first suggested transport.
        await first.get_by_test_id("mci-confirm-0").click()
        confirmed = panel.locator(
            f"[data-unit-id='{unit_id}'][data-hospital-id='{hospital_id}'][data-confirmed='true']"
        )
        await expect(confirmed.first).to_be_visible(timeout=15_000)
        for category in set(carried):
            after = expected.get(category, 0) + carried.count(category)
            await expect(ed.get_by_test_id(f"ed-mci-{category}-expected")).to_have_text(
                str(after), timeout=15_000
            )
        await ed.screenshot(path=str(artifacts / "mci-ed.png"))
        await page.screenshot(path=str(artifacts / "mci-console.png"))

        # Offline-safe: a tap without network waits in the queue and is sent once it returns.
        await crew_context.set_offline(True)
        await crew.get_by_test_id("crew-triage-minor").click()
        pending = crew.get_by_test_id("crew-triage-pending")
        await expect(pending).to_be_visible(timeout=5_000)
        await expect(crew.get_by_test_id("crew-triage-patient-A05-4")).to_have_attribute(
            "data-pending", "true"
        )
        await crew_context.set_offline(False)
        await expect(pending).to_be_hidden(timeout=30_000)
        await expect(panel.get_by_test_id("mci-count-minor-on_scene")).to_have_text(
            "1", timeout=15_000
        )

        # Command roles: the dispatcher hands triage to A06.
        await panel.get_by_test_id("mci-role-select-triage").select_option(str(a06))
        await expect(panel.get_by_test_id("mci-role-triage")).to_have_attribute(
            "data-unit-id", str(a06), timeout=15_000
        )

        # The confirmed patients are on that unit, bound for that ED, not yet gone.
        board = (
            await http.get(
                f"/api/v1/incidents/{incident['id']}/mci", headers=await login(http, "dispatcher")
            )
        ).json()
        assigned = [p for p in board["patients"] if p["status"] == "assigned"]
        assert len(assigned) == len(carried), board["patients"]
        assert all(p["hospital_id"] == hospital_id for p in assigned)
        assert all(p["unit_id"] == unit_id for p in assigned)
        assert unit_id in (a05, a06)
    finally:
        await crew_context.close()
        await ed_context.close()
        await _open_every_ed(http)
    assert not errors, f"JavaScript errors: {errors}"
