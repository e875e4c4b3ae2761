"""The hospital loop in real browsers: the dispatcher's hospital board follows the EDs live, a
unit with a patient gets destination advice set with one click (or the key H), and the ED's
screen shows the patient coming with a live ETA and acknowledges it, which the console shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, login


async def _open_every_ed(http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Both demo EDs open with a few beds (earlier stories may have diverted or closed them)."""
    supervisor = await login(http, "supervisor")
    hospitals = (await http.get("/api/v1/hospitals", headers=supervisor)).json()
    for h in hospitals:
        r = await http.post(
            f"/api/v1/hospitals/{h['id']}/status",
            headers=supervisor,
            json={"ed_status": "open", "beds_available": 4, "capability_beds": {}},
        )
        assert r.status_code == 200, r.text
    return {h["name"]: h for h in hospitals}


async def _patient_on_scene(
    http: httpx.AsyncClient, call_sign: str, call: dict[str, Any]
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """A call, a unit assigned to it and on scene with the patient: (incident, unit id, crew)."""
    dispatcher = await login(http, "dispatcher")
    r = await http.post("/api/v1/incidents", headers=dispatcher, json=call)
    assert r.status_code == 201, r.text
    incident = r.json()
    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    unit_id = units[call_sign]["id"]
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit_id},
    )
    assert r.status_code == 201, r.text
    crew = await login(http, f"crew-{call_sign.lower()}")
    for status in ("en_route", "on_scene"):
        r = await http.post(
            f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": status}
        )
        assert r.status_code == 200, r.text
    return incident, unit_id, crew


async def _console(page: Page, url: str) -> None:
    await page.goto(url)
    await page.get_by_test_id("login-username").fill("dispatcher")
    await page.get_by_test_id("login-password").fill("dispatcher")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)


async def test_dispatcher_sees_the_hospital_board_change_when_an_ed_diverts(
    page: Page, server: ServerProcess, http: httpx.AsyncClient, reset_fleet: None
) -> None:
    hospitals = await _open_every_ed(http)
    central = hospitals["Central Hospital (demo)"]
    await _console(page, server.url)
    status = page.get_by_test_id(f"hospital-status-{central['id']}")
    await expect(status).to_have_text("Open", timeout=30_000)
    await expect(page.get_by_test_id(f"hospital-age-{central['id']}")).to_have_attribute(
        "data-stale", "false"
    )

    # Central's ED (login hospital-<id>) is full and asks ambulances to go elsewhere.
    ed = await login(http, f"hospital-{central['id']}")
    r = await http.post(
        f"/api/v1/hospitals/{central['id']}/status",
        headers=ed,
        json={"ed_status": "diversion", "beds_available": 0},
    )
    assert r.status_code == 200, r.text
    await expect(status).to_have_text("Diversion", timeout=10_000)  # no reload: the event
    await expect(page.get_by_test_id(f"hospital-beds-{central['id']}")).to_contain_text("0")
    await expect(page.get_by_test_id(f"hospital-row-{central['id']}")).to_have_attribute(
        "data-ed-status", "diversion"
    )
    await _open_every_ed(http)
    await expect(status).to_have_text("Open", timeout=10_000)


async def test_a_unit_with_a_stroke_patient_is_sent_to_the_stroke_centre_in_one_click(
    page: Page,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    hospitals = await _open_every_ed(http)
    central, harbour = hospitals["Central Hospital (demo)"], hospitals["Harbour Hospital (demo)"]
    incident, unit_id, _ = await _patient_on_scene(
        http,
        "A09",
        {
            "location": await a_point_on_a_road(http, 18),
            "complaint": "face drooping, slurred speech",
            "complaint_code": "stroke",
            "answers": {},
        },
    )
    # Harbour diverts: it is no stroke centre anyway, but the board shows it.
    ed = await login(http, f"hospital-{harbour['id']}")
    await http.post(
        f"/api/v1/hospitals/{harbour['id']}/status", headers=ed, json={"ed_status": "diversion"}
    )

    await _console(page, server.url)
    await page.get_by_test_id(f"incident-row-{incident['id']}").click()
    advice = page.get_by_test_id(f"dest-unit-{unit_id}")
    await expect(advice).to_be_visible(timeout=30_000)
    await expect(page.get_by_test_id(f"dest-current-{unit_id}")).to_have_attribute(
        "data-hospital-id", ""
    )
    best = page.get_by_test_id(f"dest-option-{unit_id}-{central['id']}")
    await expect(best).to_have_attribute("data-rank", "1", timeout=30_000)
    await expect(best).to_contain_text("stroke")
    await expect(page.get_by_test_id(f"dest-option-{unit_id}-{harbour['id']}")).to_have_attribute(
        "data-rank", ""
    )  # skipped, with the reason

    await page.get_by_test_id(f"dest-set-{unit_id}-{central['id']}").click()
    current = page.get_by_test_id(f"dest-current-{unit_id}")
    await expect(current).to_have_attribute("data-hospital-id", str(central["id"]), timeout=10_000)
    await expect(current).to_contain_text(central["name"])
    await expect(page.get_by_test_id(f"dest-ack-{unit_id}")).to_have_attribute(
        "data-acked", "false"
    )
    await expect(page.get_by_test_id(f"hospital-status-{harbour['id']}")).to_have_text("Diversion")
    await page.screenshot(path=str(artifacts / "hospital-board.png"))

    dispatcher = await login(http, "dispatcher")
    units = {u["id"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()}
    assert units[unit_id]["destination_hospital_id"] == central["id"]
    await _open_every_ed(http)


async def test_the_ed_sees_the_patient_coming_and_acknowledges_and_the_console_shows_it(
    page: Page,
    browser: Browser,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    hospitals = await _open_every_ed(http)
    incident, unit_id, crew = await _patient_on_scene(
        http,
        "A05",
        {
            "location": await a_point_on_a_road(http, 23),
            "complaint": "crushing chest pain, sweating",
            "priority": 1,
            "caller": {"number": "+358409876543"},
        },
    )

    # The dispatcher picks the incident and presses H: the first advised hospital.
    await _console(page, server.url)
    await page.get_by_test_id(f"incident-row-{incident['id']}").click()
    first = page.locator(f"[data-testid^='dest-option-{unit_id}-'][data-rank='1']")
    await expect(first).to_be_visible(timeout=30_000)
    chosen = int((await first.get_attribute("data-testid") or "").rsplit("-", 1)[1])
    receiving = next(h for h in hospitals.values() if h["id"] == chosen)  # the nearest open ED
    await page.keyboard.press("h")
    current = page.get_by_test_id(f"dest-current-{unit_id}")
    await expect(current).to_have_attribute(
        "data-hospital-id", str(receiving["id"]), timeout=10_000
    )
    r = await http.post(
        f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": "transporting"}
    )
    assert r.status_code == 200, r.text

    # Central's ED signs in on the ordinary login page and lands on its own screen.
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    try:
        ed_page = await context.new_page()
        ed_page.on("pageerror", lambda exc: errors.append(str(exc)))
        await ed_page.goto(server.url)
        await ed_page.get_by_test_id("login-username").fill(f"hospital-{receiving['id']}")
        await ed_page.get_by_test_id("login-password").fill(f"hospital-{receiving['id']}")
        await ed_page.get_by_test_id("login-submit").click()
        await ed_page.wait_for_url("**/hospital/", timeout=30_000)
        await expect(ed_page.get_by_test_id("ed-hospital-name")).to_have_text(receiving["name"])
        patient = ed_page.get_by_test_id(f"ed-patient-{incident['id']}")
        await expect(patient).to_be_visible(timeout=30_000)
        await expect(ed_page.get_by_test_id(f"ed-priority-{incident['id']}")).to_have_text("P1")
        await expect(ed_page.get_by_test_id(f"ed-summary-{incident['id']}")).to_contain_text(
            "chest pain"
        )
        await expect(ed_page.get_by_test_id(f"ed-eta-{incident['id']}")).to_contain_text(
            "arrives in"
        )
        await expect(patient).to_contain_text("A05")
        assert "+358" not in await ed_page.content(), "an ED never sees the caller's number"
        await ed_page.screenshot(path=str(artifacts / "ed-screen.png"))

        ack = ed_page.get_by_test_id(f"ed-ack-{incident['id']}")
        await ack.click()
        await expect(ack).to_have_attribute("data-acked", "true", timeout=15_000)

        # ... and the dispatcher sees "ED acknowledged" on the unit's destination.
        acked = page.get_by_test_id(f"dest-ack-{unit_id}")
        await expect(acked).to_have_attribute("data-acked", "true", timeout=15_000)
        await expect(acked).to_contain_text("ED acknowledged")

        # The ED reports diversion from its own screen; the dispatcher's board follows.
        await ed_page.get_by_test_id("ed-status-diversion").check()
        await ed_page.get_by_test_id("ed-beds").fill("1")
        # ... and per speciality: the paediatric ED (both demo hospitals have one) is full
        await ed_page.get_by_test_id("ed-beds-pediatric").fill("0")
        await ed_page.get_by_test_id("ed-save").click()
        await expect(ed_page.get_by_test_id("ed-current")).to_have_attribute(
            "data-ed-status", "diversion", timeout=10_000
        )
        await expect(page.get_by_test_id(f"hospital-status-{receiving['id']}")).to_have_text(
            "Diversion", timeout=10_000
        )
        await expect(
            page.get_by_test_id(f"hospital-capability-beds-{receiving['id']}")
        ).to_have_text("Paediatric 0")
    finally:
        await context.close()
        await _open_every_ed(http)
    assert not errors, f"JavaScript errors on the ED screen: {errors}"
