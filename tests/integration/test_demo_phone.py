"""``make demo`` rings its phone lines through the same telephony interface a PBX uses: a line
rings near the scene, the simulated call-taker answers it and logs the call with the line's
caller data, and the caller hangs up."""

from __future__ import annotations

import random

import httpx

from dispatch.demo.client import ApiClient
from dispatch.demo.phone import Phone
from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road


async def test_the_demo_phone_rings_a_line_the_call_taker_answers(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    scene = await a_point_on_a_road(http, 17)
    pool = ApiClient.connect(server.url)
    try:
        dispatcher = ApiClient(pool, "dispatcher", "dispatcher")
        phone = Phone(dispatcher.as_user("telephony", "telephony"), dispatcher, random.Random(1))
        line = await phone.ring((scene[0], scene[1]))
        assert line is not None and line["state"] == "ringing"
        answered = await phone.answer(line)
        assert answered is not None and answered["state"] == "answered"
        caller = answered["caller"]
        assert caller["number"].startswith("+86139") and caller["accuracy_m"] > 0
        assert abs(caller["location"][0] - scene[0]) < 0.01, "near the scene"
        incident = await dispatcher.create_incident(
            (scene[0], scene[1]), "chest pain", 2, {"number": caller["number"]}
        )
        assert incident["caller"]["number"] == caller["number"]
        await phone.hang_up(line)
        live = await dispatcher._request("GET", "/telephony/calls")
        assert line["id"] not in [c["id"] for c in live]
    finally:
        await pool.aclose()
