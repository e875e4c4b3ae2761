"""Emergency blood supply in real browsers (issue 19): Central's ED asks for blood on its own
screen and sees what the bank set aside (a substitute marked as such); the dispatcher sends the
courier from the console's Blood panel; the courier's crew presses "Picked up" in the crew app;
the ED confirms the handover, naming the nurse who took the units; every screen shows the
delivery done, and so does the API.

The bank, its stock and the courier registration are set up through the API as an operator
would (tests/integration/test_blood.py). The courier is A12, whose crew no other story signs in
as; the lots are named for this run and the patient's group is B+, which no other story stocks.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, login

API = "/api/v1"
COURIER = "A12"


async def _blood_service(http: httpx.AsyncClient) -> dict[str, Any]:
    """A bank with two B+ and two B- red cells (lots named for this run), A12 registered as a
    courier, and the demo hospitals: {"bank", "lots", "courier", "central"}."""
    supervisor = await login(http, "supervisor")
    run = secrets.token_hex(3).upper()
    r = await http.post(
        f"{API}/blood/banks",
        headers=supervisor,
        json={
            "code": f"E2E-{run}",
            "name": f"Regional blood bank {run}",
            "location": await a_point_on_a_road(http, 41),
        },
    )
    assert r.status_code == 201, r.text
    bank = r.json()
    expires = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    lots = {"B+": f"BP-{run}", "B-": f"BN-{run}"}
    for group, lot in lots.items():
        r = await http.put(
            f"{API}/blood/banks/{bank['id']}/stock",
            headers=supervisor,
            json={
                "lot": lot,
                "product": "red_cells",
                "group": group,
                "units": 2,
                "expires_at": expires,
            },
        )
        assert r.status_code == 200, r.text
    units = {u["call_sign"]: u for u in (await http.get(f"{API}/units", headers=supervisor)).json()}
    courier = units[COURIER]
    r = await http.put(
        f"{API}/blood/couriers/{courier['id']}",
        headers=supervisor,
        json={"cool": 12, "frozen": 8, "ambient": 4},
    )
    assert r.status_code == 200, r.text
    hospitals = {
        h["name"]: h for h in (await http.get(f"{API}/hospitals", headers=supervisor)).json()
    }
    return {
        "bank": bank,
        "lots": lots,
        "courier": courier,
        "central": hospitals["Central Hospital (demo)"],
    }


async def _stocked_bank(
    http: httpx.AsyncClient,
    supervisor: dict[str, str],
    prefix: str,
    seed: int,
    lot: tuple[str, str, int, int] | None = None,
) -> dict[str, Any]:
    """A bank coded ``<prefix>-<this run>`` at a road point, holding ``lot`` (product, group,
    units, days to expiry) when given, set up through the API as the supervisor would."""
    run = secrets.token_hex(3).upper()
    r = await http.post(
        f"{API}/blood/banks",
        headers=supervisor,
        json={
            "code": f"{prefix}-{run}",
            "name": f"Blood bank {prefix} {run}",
            "location": await a_point_on_a_road(http, seed),
        },
    )
    assert r.status_code == 201, r.text
    bank: dict[str, Any] = r.json()
    if lot is not None:
        product, group, units, days = lot
        r = await http.put(
            f"{API}/blood/banks/{bank['id']}/stock",
            headers=supervisor,
            json={
                "lot": f"{prefix}-{run}-1",
                "product": product,
                "group": group,
                "units": units,
                "expires_at": (datetime.now(UTC) + timedelta(days=days)).isoformat(),
            },
        )
        assert r.status_code == 200, r.text
    return bank


async def _sign_in(page: Page, url: str, username: str, prefix: str = "") -> None:
    await page.goto(url)
    await page.get_by_test_id(f"{prefix}login-username").fill(username)
    await page.get_by_test_id(f"{prefix}login-password").fill(username)
    await page.get_by_test_id(f"{prefix}login-submit").click()


def _id_of(testid: str | None) -> int:
    assert testid, "no data-testid"
    return int(testid.rsplit("-", 1)[1])


async def test_the_ed_asks_for_blood_a_courier_brings_it_and_the_ed_confirms_the_handover(
    page: Page,
    browser: Browser,
    server: ServerProcess,
    http: httpx.AsyncClient,
    reset_fleet: None,
    artifacts: Path,
) -> None:
    service = await _blood_service(http)
    central, courier, lots = service["central"], service["courier"], service["lots"]
    bank_name = service["bank"]["name"]

    ed_context = await browser.new_context(viewport={"width": 1440, "height": 900})
    crew_context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    errors: list[str] = []
    try:
        # Central's ED asks for 3 units of red cells for a B+ patient bleeding out, within 45 min.
        ed = await ed_context.new_page()
        ed.on("pageerror", lambda exc: errors.append(f"ed: {exc}"))
        await _sign_in(ed, server.url + "/hospital/", f"hospital-{central['id']}", "ed-")
        await expect(ed.get_by_test_id("ed-hospital-name")).to_have_text(
            central["name"], timeout=30_000
        )
        panel = ed.get_by_test_id("ed-blood")
        await expect(panel).to_be_visible()
        await panel.get_by_test_id("blood-product").select_option("red_cells")
        await panel.get_by_test_id("blood-group").select_option("B+")
        await panel.get_by_test_id("blood-units").fill("3")
        await panel.get_by_test_id("blood-urgency").select_option("life_threatening")
        await panel.get_by_test_id("blood-deadline").fill("45")
        await panel.get_by_test_id("blood-submit").click()

        # Allocated at once: both B+ units, and one B- unit as a compatible substitute.
        card = panel.locator("[data-testid^='blood-request-'][data-status='allocated']").first
        await expect(card).to_be_visible(timeout=15_000)
        request_id = _id_of(await card.get_attribute("data-testid"))
        await expect(ed.get_by_test_id(f"blood-status-{request_id}")).to_have_text("Allocated")
        allocation = ed.get_by_test_id(f"blood-allocation-{request_id}")
        await expect(allocation).to_contain_text(f"2 × B+ · lot {lots['B+']}")
        await expect(allocation).to_contain_text(f"1 × B- · lot {lots['B-']}")
        await expect(allocation).to_contain_text(bank_name)
        await expect(allocation.locator("li[data-identical='false']")).to_contain_text("substitute")
        await expect(ed.get_by_test_id(f"blood-deadline-{request_id}")).to_contain_text("in 4")

        # The dispatcher sees the request in the console's Blood panel and sends A12.
        await _sign_in(page, server.url, "dispatcher")
        await expect(page.get_by_test_id("connection-status")).to_have_text(
            "connected", timeout=30_000
        )
        row = page.get_by_test_id(f"blood-row-{request_id}")
        await expect(row).to_have_attribute("data-status", "allocated", timeout=30_000)
        await expect(page.get_by_test_id(f"blood-row-hospital-{request_id}")).to_have_text(
            central["name"]
        )
        await expect(row).to_contain_text("Life-threatening haemorrhage")
        await page.get_by_test_id(f"blood-assign-unit-{request_id}").select_option(
            str(courier["id"])
        )
        await page.get_by_test_id(f"blood-assign-{request_id}").click()
        await expect(row).to_have_attribute("data-status", "assigned", timeout=15_000)
        job = row.locator("[data-testid^='blood-row-job-']").first
        await expect(job).to_have_attribute("data-state", "assigned")
        job_id = _id_of(await job.get_attribute("data-testid"))
        await expect(page.get_by_test_id(f"blood-row-courier-{job_id}")).to_have_text(COURIER)
        # the courier plan's planned handover, as an ETA
        await expect(page.get_by_test_id(f"blood-row-eta-{job_id}")).to_contain_text(
            "handover", timeout=30_000
        )
        # The map's Blood layer: the bank, the request at Central, the courier.
        await page.get_by_test_id("blood-layer-toggle").click()
        await expect(page.get_by_test_id(f"blood-map-bank-{service['bank']['id']}")).to_have_count(
            1, timeout=10_000
        )
        await expect(page.get_by_test_id(f"blood-map-request-{central['id']}")).to_have_text("1")
        await expect(page.get_by_test_id(f"blood-map-courier-{courier['id']}")).to_have_count(1)
        await page.screenshot(path=str(artifacts / "blood-console.png"))

        # The ED's screen follows: a courier is on its way.
        await expect(ed.get_by_test_id(f"blood-request-{request_id}")).to_have_attribute(
            "data-status", "assigned", timeout=15_000
        )
        await expect(ed.get_by_test_id(f"blood-job-{job_id}")).to_have_attribute(
            "data-state", "assigned"
        )
        await expect(ed.get_by_test_id(f"blood-handover-{job_id}")).to_have_count(0)

        # A12's crew sees the delivery in the crew app and presses "Picked up" at the bank.
        crew = await crew_context.new_page()
        crew.on("pageerror", lambda exc: errors.append(f"crew: {exc}"))
        await _sign_in(crew, server.url + "/crew/", f"crew-{COURIER.lower()}", "crew-")
        deliveries = crew.get_by_test_id("crew-blood")
        await expect(deliveries).to_be_visible(timeout=30_000)
        crew_job = crew.get_by_test_id(f"crew-blood-job-{job_id}")
        await expect(crew_job).to_have_attribute("data-state", "assigned")
        await expect(crew.get_by_test_id(f"crew-blood-hospital-{job_id}")).to_have_text(
            central["name"], timeout=15_000
        )
        await expect(crew_job).to_contain_text("Red cells × 3")
        await expect(crew_job).to_contain_text(lots["B-"])
        # where to pick up, by name, and by when the ward needs it
        await expect(crew.get_by_test_id(f"crew-blood-bank-{job_id}")).to_have_text(bank_name)
        await expect(crew.get_by_test_id(f"crew-blood-due-{job_id}")).to_contain_text("needed by")
        await crew.get_by_test_id(f"crew-blood-pickup-{job_id}").click()
        await expect(crew_job).to_have_attribute("data-state", "picked_up", timeout=15_000)
        await expect(crew.get_by_test_id(f"crew-blood-onboard-{job_id}")).to_be_visible()
        await crew.screenshot(path=str(artifacts / "blood-crew.png"))

        # The console shows the units on board (the Blood* event).
        await expect(row).to_have_attribute("data-status", "picked_up", timeout=15_000)

        # The ED sees the units picked up, and confirms the handover when they arrive.
        await expect(ed.get_by_test_id(f"blood-request-{request_id}")).to_have_attribute(
            "data-status", "picked_up", timeout=15_000
        )
        # the live ETA from where the courier is now, and who is bringing it
        await expect(ed.get_by_test_id(f"blood-eta-{job_id}")).to_contain_text("handover")
        await expect(ed.get_by_test_id(f"blood-courier-{job_id}")).to_have_text(COURIER)
        await ed.get_by_test_id(f"blood-received-by-{job_id}").fill("Nurse Li Na")
        await ed.get_by_test_id(f"blood-handover-{job_id}").click()
        await expect(ed.get_by_test_id(f"blood-request-{request_id}")).to_have_attribute(
            "data-status", "delivered", timeout=15_000
        )
        await expect(ed.get_by_test_id(f"blood-status-{request_id}")).to_have_text("Delivered")
        await expect(ed.get_by_test_id(f"blood-eta-{job_id}")).to_contain_text("Nurse Li Na")
        await ed.screenshot(path=str(artifacts / "blood-ed.png"))

        # Every screen follows: the crew's job is done, the console's row delivered.
        await expect(crew_job).to_have_attribute("data-state", "delivered", timeout=20_000)
        await expect(crew.get_by_test_id(f"crew-blood-delivered-{job_id}")).to_contain_text(
            "Nurse Li Na"
        )
        await expect(row).to_have_attribute("data-status", "delivered", timeout=15_000)
    finally:
        await ed_context.close()
        await crew_context.close()
    assert not errors, f"JavaScript errors: {errors}"

    # And the API says the same.
    ed_headers = await login(http, f"hospital-{central['id']}")
    r = await http.get(
        f"{API}/blood/hospitals/{central['id']}/requests/{request_id}", headers=ed_headers
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "delivered" and done["urgency"] == "life_threatening"
    assert (done["product"], done["group"], done["units"]) == ("red_cells", "B+", 3)
    assert done["requested_by"] == f"hospital-{central['id']}"
    assert [(a["lot"], a["units"], a["identical"]) for a in done["allocation"]] == [
        (lots["B+"], 2, True),
        (lots["B-"], 1, False),
    ]
    [delivered] = done["jobs"]
    assert delivered["id"] == job_id and delivered["unit_id"] == courier["id"]
    assert delivered["state"] == "delivered" and delivered["handover_by"] == "Nurse Li Na"
    assert delivered["picked_up_at"] and delivered["delivered_at"]
    assert not delivered["cold_chain_breached"]
    requested = datetime.fromisoformat(done["requested_at"])
    deadline = datetime.fromisoformat(done["deadline"])
    assert timedelta(minutes=44) < deadline - requested < timedelta(minutes=46)
    stock = {
        s["lot"]: s["units"]
        for s in (
            await http.get(f"{API}/blood/stock", headers=await login(http, "dispatcher"))
        ).json()
        if s["bank_id"] == service["bank"]["id"]
    }
    assert stock == {lots["B+"]: 0, lots["B-"]: 1}, stock


async def test_no_courier_in_time_the_dispatcher_sends_the_offered_ambulance_from_the_console(
    page: Page, server: ServerProcess, http: httpx.AsyncClient, reset_fleet: None
) -> None:
    """Central needs AB-negative red cells (stocked by no other story) within five minutes: no
    courier makes that, the console's Blood panel offers the nearest available ambulance, and
    the dispatcher sends it with one click."""
    supervisor = await login(http, "supervisor")
    await _stocked_bank(http, supervisor, "AMB", 44, ("red_cells", "AB-", 4, 10))
    hospitals = {
        h["name"]: h for h in (await http.get(f"{API}/hospitals", headers=supervisor)).json()
    }
    central = hospitals["Central Hospital (demo)"]
    ed = await login(http, f"hospital-{central['id']}")
    r = await http.post(
        f"{API}/blood/hospitals/{central['id']}/requests",
        headers=ed,
        json={
            "product": "red_cells",
            "group": "AB-",
            "units": 2,
            "urgency": "life_threatening",
            "deadline": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]

    await _sign_in(page, server.url, "dispatcher")
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    offer = page.get_by_test_id(f"blood-offer-ambulance-{request_id}")
    await expect(offer).to_contain_text("Consider an ambulance", timeout=30_000)
    send = page.get_by_test_id(f"blood-send-ambulance-{request_id}")
    await expect(send).to_contain_text("Send A", timeout=30_000)
    call_sign = (await send.inner_text()).split()[1]
    await send.click()
    row = page.get_by_test_id(f"blood-row-{request_id}")
    await expect(row).to_have_attribute("data-status", "assigned", timeout=15_000)
    await expect(row).to_contain_text(call_sign)

    r = await http.get(f"{API}/blood/requests", headers=supervisor)
    sent = next(x for x in r.json() if x["id"] == request_id)
    assert sent["status"] == "dispatched"
    assert {j["call_sign"] for j in sent["jobs"]} == {call_sign}
    assert all(j["eta_at"] for j in sent["jobs"]), "an open job says when it should arrive"


async def test_the_supervisor_keeps_the_stock_on_screen(
    page: Page, server: ServerProcess, http: httpx.AsyncClient
) -> None:
    """The blood centre phones in its delivery: the supervisor imports the CSV in the console's
    stock dialog (a file with a bad row is refused whole, the row named), then corrects one
    lot's count by hand. O- platelets: stocked by no other story."""
    supervisor = await login(http, "supervisor")
    bank = await _stocked_bank(http, supervisor, "STK", 46)
    code, bank_id = bank["code"], bank["id"]
    day = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()

    await _sign_in(page, server.url, "supervisor")
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    await page.get_by_test_id("blood-stock-open").click()
    dialog = page.get_by_test_id("blood-stock-dialog")
    await expect(dialog).to_be_visible()

    header = "bank,lot,product,group,units,expires_at"
    bad = f"{header}\n{code},P-1,platelets,O-,3,{day}\n{code},P-2,platelets,Q+,2,{day}\n"
    await page.get_by_test_id("blood-stock-csv").fill(bad)
    await page.get_by_test_id("blood-stock-import").click()
    errors = page.get_by_test_id("blood-stock-errors")
    await expect(errors).to_contain_text("row 3, group")
    await expect(page.get_by_test_id(f"blood-stock-row-{bank_id}-P-1")).to_have_count(0)

    good = f"{header}\n{code},P-1,platelets,O-,3,{day}\n{code},P-2,platelets,O-,2,{day}\n"
    await page.get_by_test_id("blood-stock-csv").fill(good)
    await page.get_by_test_id("blood-stock-import").click()
    row = page.get_by_test_id(f"blood-stock-row-{bank_id}-P-2")
    await expect(row).to_have_attribute("data-units", "2", timeout=15_000)

    # The count at the bank says P-2 has 5: set by hand.
    await page.get_by_test_id("blood-stock-bank").select_option(str(bank_id))
    await page.get_by_test_id("blood-stock-lot").fill("P-2")
    await page.get_by_test_id("blood-stock-product").select_option("platelets")
    await page.get_by_test_id("blood-stock-group").select_option("O-")
    await page.get_by_test_id("blood-stock-units").fill("5")
    await page.get_by_test_id("blood-stock-expires").fill(day)
    await page.get_by_test_id("blood-stock-save").click()
    await expect(row).to_have_attribute("data-units", "5", timeout=15_000)

    lots = (await http.get(f"{API}/blood/stock", headers=supervisor)).json()
    ours = {x["lot"]: x["units"] for x in lots if x["bank_id"] == bank_id}
    assert ours == {"P-1": 3, "P-2": 5}


async def test_the_dispatcher_gives_a_delivery_to_another_courier_from_the_console(
    page: Page, server: ServerProcess, http: httpx.AsyncClient, reset_fleet: None
) -> None:
    """A10 was sent for Harbour's A- platelets (stocked by no other story) and breaks down before
    the bank: the dispatcher gives the delivery to A11 from the console, with the reason."""
    supervisor = await login(http, "supervisor")
    await _stocked_bank(http, supervisor, "RE", 48, ("platelets", "A-", 2, 4))
    units = {u["call_sign"]: u for u in (await http.get(f"{API}/units", headers=supervisor)).json()}
    for sign in ("A10", "A11"):
        r = await http.put(
            f"{API}/blood/couriers/{units[sign]['id']}",
            headers=supervisor,
            json={"cool": 4, "frozen": 0, "ambient": 4},
        )
        assert r.status_code == 200, r.text
    hospitals = {
        h["name"]: h for h in (await http.get(f"{API}/hospitals", headers=supervisor)).json()
    }
    harbour = hospitals["Harbour Hospital (demo)"]
    r = await http.post(
        f"{API}/blood/hospitals/{harbour['id']}/requests",
        headers=await login(http, f"hospital-{harbour['id']}"),
        json={"product": "platelets", "group": "A-", "units": 1, "urgency": "urgent"},
    )
    assert r.status_code == 201, r.text
    request_id = r.json()["id"]
    dispatcher = await login(http, "dispatcher")
    r = await http.post(
        f"{API}/blood/requests/{request_id}/jobs",
        headers=dispatcher,
        json={"unit_id": units["A10"]["id"]},
    )
    assert r.status_code == 201, r.text
    job_id = r.json()["jobs"][0]["id"]

    await _sign_in(page, server.url, "dispatcher")
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    await expect(page.get_by_test_id(f"blood-row-courier-{job_id}")).to_have_text(
        "A10", timeout=30_000
    )
    await page.get_by_test_id(f"blood-reassign-{job_id}").click()
    await page.get_by_test_id("action-choice").select_option(str(units["A11"]["id"]))
    await page.get_by_test_id("action-reason").fill("A10 broke down before the bank")
    await page.get_by_test_id("action-confirm").click()
    await expect(page.get_by_test_id(f"blood-row-courier-{job_id}")).to_have_text(
        "A11", timeout=15_000
    )
    jobs = (
        await http.get(f"{API}/blood/units/{units['A11']['id']}/jobs", headers=dispatcher)
    ).json()
    assert [j["state"] for j in jobs if j["id"] == job_id] == ["assigned"]
