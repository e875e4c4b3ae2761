"""An outbreak seen from the supervisor's console (issue 18): the demo imports a season of call
counts and then its outbreak callers report high fever and cough from one neighbourhood; the
server's own watch (every 20 s on the test server) raises a signal, the console lists it and
shades its area on the map, and the supervisor acknowledges it with a note."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Page, expect

from dispatch.clock import ScaledClock
from dispatch.demo import outbreak
from dispatch.demo.client import ApiClient
from dispatch.demo.geometry import RoadSampler
from dispatch.surveillance import burst
from dispatch.surveillance.areas import cell_of
from tests.conftest import ServerProcess

FEVER = "fever_respiratory"


async def test_the_demo_outbreak_appears_on_the_console_and_is_acknowledged(
    page: Page, server: ServerProcess, artifacts: Path
) -> None:
    await page.goto(server.url)
    await page.get_by_test_id("login-username").fill("supervisor")
    await page.get_by_test_id("login-password").fill("supervisor")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("connection-status")).to_have_text("connected", timeout=30_000)
    panel = page.get_by_test_id("signals-panel")
    await expect(panel).to_be_visible()  # a supervisor always sees it

    # The demo's outbreak, through the API as the simulator runs it: two months of history at
    # 48 calls a day, then twelve callers from one neighbourhood with fever and cough.
    created: list[dict] = []
    async with ApiClient.connect(server.url) as pool:
        dispatcher = ApiClient(pool, "dispatcher", "dispatcher")
        supervisor = dispatcher.as_user("supervisor", "supervisor")
        roads = RoadSampler.from_feature_collection(await dispatcher.roads())
        rows = await outbreak.backfill(
            supervisor,
            roads,
            days=60,
            calls_per_day=48,
            today=datetime.now(UTC).date(),  # the test server keeps UTC days
            seed=18,
        )
        assert rows > 60
        caller = outbreak.outbreak_caller(
            dispatcher,
            ScaledClock(20.0),  # 6 calls a minute of demo time: one every half second
            roads,
            calls_per_minute=6,
            seed=18,
            max_calls=12,
            on_created=created.append,
        )
        await caller.run()
    assert len(created) == 12
    assert all(i["complaint"] == "high fever and cough" for i in created)
    cells = {cell_of(*i["location"]) for i in created}

    # The watch's next round raises the signal; the console shows it without a reload.
    row = panel.locator(f'[data-syndrome="{FEVER}"][data-method="hourly-burst"]').first
    await expect(row).to_be_visible(timeout=60_000)
    await expect(row).to_have_attribute("data-level", "alert")
    await expect(row).to_contain_text("Fever / respiratory")
    assert int(await panel.get_attribute("data-map-areas") or "0") >= 1
    signal_id = (await row.get_attribute("data-testid") or "").removeprefix("signal-row-")
    observed = page.get_by_test_id(f"signal-observed-{signal_id}")
    await expect(observed).to_contain_text("calls vs")
    await page.screenshot(path=str(artifacts / "console-outbreak-signal.png"))

    # The supervisor writes what was done and acknowledges it.
    note = "CDC duty officer told; fever clinic at the district hospital on alert"
    await page.get_by_test_id(f"signal-note-{signal_id}").fill(note)
    await page.get_by_test_id(f"signal-ack-{signal_id}").click()
    await expect(page.get_by_test_id(f"signal-acked-{signal_id}")).to_contain_text(note)

    async with ApiClient.connect(server.url) as pool:
        signals = await ApiClient(pool, "supervisor", "supervisor").request(
            "GET", "/surveillance/signals"
        )
    ours = next(s for s in signals if str(s["id"]) == signal_id)
    assert ours["acknowledged_by"] == "supervisor" and ours["acknowledge_note"] == note
    assert {a["id"] for a in ours["areas"]} & cells, "the signal is where the calls came from"
    # a round may have judged the hour before the last calls came in; the next one updates it
    assert ours["observed"] >= burst.MIN_CALLS > ours["expected"]

    # The review holds the history: the signal with who acknowledged it and the note.
    await page.goto(server.url + "/review/")
    await expect(page.get_by_test_id("review-form")).to_have_attribute(
        "data-busy", "false", timeout=30_000
    )
    history = page.get_by_test_id(f"review-signal-{signal_id}")
    await expect(history).to_contain_text(note, timeout=30_000)
    await expect(history).to_contain_text("Fever / respiratory")
    # under the KPIs: infectious transport and the blood supply over the same period
    await expect(page.get_by_test_id("kpi-infectious")).to_be_visible()
    await expect(page.get_by_test_id("kpi-blood")).to_contain_text("Blood requests")
