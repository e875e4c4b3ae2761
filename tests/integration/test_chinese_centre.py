"""A 120 centre in Shanghai whose language is Chinese (``GOLDENHOUR_LANGUAGE=zh``), on the real
server, database and map: the words the server writes itself are Chinese, problems come back in
the language a request asks for (else the centre's), and the demo's callers speak Chinese and
name the crossings and streets the offline geocoder finds on a map without house numbers."""

from __future__ import annotations

import itertools
import random
from typing import Any

import httpx

from dispatch.clock import SystemClock
from dispatch.demo.caller import Caller
from dispatch.demo.calls import COMPLAINTS, call_stream
from dispatch.demo.client import ApiClient
from dispatch.demo.geometry import RoadSampler, crossings
from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, assert_problem, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_a_call_placed_by_pin_alone_is_named_after_its_street_in_chinese(
    chinese_centre: ServerProcess, reset_chinese_centre: None
) -> None:
    async with httpx.AsyncClient(base_url=chinese_centre.url, timeout=15) as http:
        dispatcher = await login(http, "dispatcher")
        scene = await a_point_on_a_road(http, 5)
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={"location": scene, "complaint": "胸痛", "priority": 2},
        )
    assert r.status_code == 201, r.text
    address = r.json()["address"]
    assert address.endswith("附近") and has_cjk(address.removesuffix("附近")), address
    assert "near" not in address


async def test_problems_come_in_the_language_asked_for_else_the_centres(
    chinese_centre: ServerProcess, reset_chinese_centre: None
) -> None:
    async with httpx.AsyncClient(base_url=chinese_centre.url, timeout=15) as http:
        form = {"username": "dispatcher", "password": "not the password"}
        r = await http.post("/api/v1/auth/token", data=form)  # no Accept-Language: the centre's
        body = assert_problem(r, 401, "bad-credentials")
        assert (body["title"], body["detail"]) == ("用户名或密码错误", "用户名或密码错误。")
        assert r.headers["content-language"] == "zh-CN"
        assert "accept-language" in r.headers["vary"].lower()
        r = await http.post("/api/v1/auth/token", data=form, headers=EN)
        body = assert_problem(r, 401, "bad-credentials")
        assert body["detail"] == "Wrong username or password"
        assert r.headers["content-language"] == "en"

        dispatcher = await login(http, "dispatcher")
        units = (await http.get("/api/v1/units", headers=dispatcher)).json()
        unit = units[0]
        made = []
        for complaint in ("胸痛", "腹痛"):
            r = await http.post(
                "/api/v1/incidents",
                headers=dispatcher,
                json={"location": unit["position"], "complaint": complaint, "priority": 2},
            )
            assert r.status_code == 201, r.text
            made.append(r.json())
        r = await http.post(
            f"/api/v1/incidents/{made[0]['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": unit["id"]},
        )
        assert r.status_code == 201, r.text
        taken: dict[str, Any] = {"unit_id": unit["id"]}
        path = f"/api/v1/incidents/{made[1]['id']}/assignments"
        r = await http.post(path, headers={**dispatcher, **ZH}, json=taken)
        body = assert_problem(r, 409, "unit-not-available")
        assert body["title"] == "车组不可派"
        assert body["detail"] == f"车组 {unit['call_sign']} 当前为“已派车”，不可派车。"
        r = await http.post(path, headers={**dispatcher, **EN}, json=taken)
        body = assert_problem(r, 409, "unit-not-available")
        assert body["detail"] == f"Unit {unit['call_sign']} is dispatched, not available"

        r = await http.post(
            "/api/v1/incidents",
            headers={**dispatcher, **ZH},
            json={"address": "Xyzzy Plugh 99", "complaint": "胸痛", "priority": 2},
        )
        body = assert_problem(r, 422, "address-not-found")
        assert body["detail"] == "地图上没有与“Xyzzy Plugh 99”匹配的地址。"
        r = await http.post(
            "/api/v1/incidents", headers={**dispatcher, **ZH}, json={"priority": "urgent"}
        )
        body = assert_problem(r, 422, "validation-error")
        assert body["title"] == "请求内容无效" and body["detail"].startswith("请求内容无效：")
        assert body["errors"], body  # the machine-readable list stays as it was


async def test_demo_callers_speak_chinese_at_crossings_and_along_streets_the_map_knows(
    chinese_centre: ServerProcess, reset_chinese_centre: None
) -> None:
    pool = ApiClient.connect(chinese_centre.url)
    try:
        dispatcher = ApiClient(pool, "dispatcher", "dispatcher")
        roads_json = await dispatcher.roads()
        junctions = crossings(roads_json)
        assert len(junctions) > 100, "central Shanghai has hundreds of named crossings"
        caller = Caller(
            dispatcher,
            SystemClock(),
            RoadSampler.from_feature_collection(roads_json),
            calls_per_minute=2.0,
            rng=random.Random(20),
            crossings=junctions,
            language="zh",
        )
        stream = call_stream(
            random.Random(20), 2.0, caller.roads, crossings=junctions, language="zh"
        )
        calls = list(itertools.islice((c for c in stream if c.place is not None), 10))
        assert any(c.at_crossing for c in calls) and not all(c.at_crossing for c in calls)
        for call in calls:
            address = await caller.address_of(call)
            assert address is not None and has_cjk(address), call
            incident = await dispatcher.create_incident(
                call.location, call.complaint, call.priority, None, address
            )
            assert incident["complaint"] in {c.zh for c in COMPLAINTS}
            assert incident["address"] == address
            if call.at_crossing:
                a, b = address.split("与")
                assert (a, b) in {j.streets for j in junctions} | {
                    j.streets[::-1] for j in junctions
                }
                # the geocoder found the crossing the caller named, where the pin is
                assert incident["address_verified"], (address, incident)
    finally:
        await pool.aclose()


async def test_the_demo_layout_names_its_stations_and_hospitals_in_chinese(
    chinese_centre: ServerProcess,
) -> None:
    """Shanghai's extract has no stations or hospitals: the demo layout places them, and a
    Chinese centre's board reads their names in Chinese, with the demo capabilities kept."""
    async with httpx.AsyncClient(base_url=chinese_centre.url, timeout=15) as http:
        dispatcher = await login(http, "dispatcher")
        hospitals = (await http.get("/api/v1/hospitals", headers=dispatcher)).json()
        stations = (await http.get("/api/v1/stations", headers=dispatcher)).json()
    by_name = {h["name"]: h for h in hospitals}
    assert set(by_name) == {"中心医院（演示）", "港区医院（演示）"}
    assert "stroke" in by_name["中心医院（演示）"]["capabilities"]
    assert by_name["港区医院（演示）"]["capabilities"] == ["pediatric", "trauma_2"]
    names = sorted(s["name"] for s in stations)
    assert names == sorted(f"{q}急救站（演示）" for q in ("西北", "东北", "西南", "东南")), names
