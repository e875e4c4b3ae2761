"""A supervisor exports a shift as NEMSIS v3.5.1 XML: incidents built through the real API
(single and multi-unit, transported, treated and released, cancelled, destination changed, a
hospital on diversion, a unit diverted to a more urgent call, a unit swapped), one
PatientCareReport per unit, and every file passes the XSDs and the national Schematron.

The results per incident kind are written to test-artifacts/nemsis.json.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.nemsis_support import NEMSIS, ROOT, validator
from tests.support import a_point_on_a_road, assert_problem, login

ARTIFACT = ROOT / "test-artifacts" / "nemsis.json"
NS = {"n": "http://www.nemsis.org"}
API = "/api/v1"


class Shift:
    """Drives calls through the API as a dispatcher and remembers what kind each one is."""

    def __init__(self, http: httpx.AsyncClient, dispatcher: dict[str, str]) -> None:
        self.http, self.h = http, dispatcher
        self.kinds: dict[str, set[str]] = defaultdict(set)  # call number -> kinds
        self.spot = 40

    async def call(self, kinds: set[str], priority: int = 3, code: str | None = None) -> dict:
        self.spot += 1
        r = await self.http.post(
            f"{API}/incidents",
            headers=self.h,
            json={
                "location": await a_point_on_a_road(self.http, self.spot),
                "complaint": code or "feels unwell",
                "priority": priority,
            },
        )
        assert r.status_code == 201, r.text
        incident: dict = r.json()
        if code is not None:
            r = await self.http.post(
                f"{API}/incidents/{incident['id']}/triage",
                headers=self.h,
                json={"complaint_code": code, "answers": {}},
            )
            assert r.status_code in (200, 201), r.text
        self.kinds[incident["number"]] |= kinds
        return incident

    async def send(self, incident: dict, unit: int) -> None:
        r = await self.http.post(
            f"{API}/incidents/{incident['id']}/assignments", headers=self.h, json={"unit_id": unit}
        )
        assert r.status_code == 201, r.text

    async def press(self, unit: int, *statuses: str) -> None:
        for status in statuses:
            r = await self.http.post(
                f"{API}/units/{unit}/status", headers=self.h, json={"status": status}
            )
            assert r.status_code == 200, r.text

    async def destination(self, unit: int, hospital: int) -> None:
        r = await self.http.post(
            f"{API}/units/{unit}/destination", headers=self.h, json={"hospital_id": hospital}
        )
        assert r.status_code in (200, 201), r.text

    async def transport(self, unit: int, hospital: int, clear: str = "available") -> None:
        """From on scene: name the hospital, take the patient there, clear."""
        await self.destination(unit, hospital)
        await self.press(unit, "transporting", "at_hospital", clear)


async def _build_shift(
    shift: Shift, http: httpx.AsyncClient, supervisor: dict[str, str], fleet: dict[str, dict]
) -> dict[str, Any]:
    """At least 20 incidents of every kind the export must get right; returns what it needs."""
    als = [u["id"] for u in fleet.values() if u["capability"] == "ALS"]
    bls = [u["id"] for u in fleet.values() if u["capability"] == "BLS"]
    any_unit = als + bls
    hospitals = (await http.get(f"{API}/hospitals", headers=shift.h)).json()
    assert len(hospitals) >= 2
    first, second = hospitals[0]["id"], hospitals[1]["id"]

    # Transported by one unit: triaged calls (EMD determinant) and untriaged ones.
    for i, code in enumerate(["falls", "stroke", "sick_person", None, "trauma_traffic", None]):
        incident = await shift.call({"transported"}, code=code)
        unit = any_unit[i % len(any_unit)]
        await shift.send(incident, unit)
        await shift.press(unit, "en_route", "on_scene")
        await shift.transport(
            unit, first if i % 2 else second, "returning" if i % 3 else "available"
        )
    # Chest pain needs ALS: one ALS unit, transported.
    incident = await shift.call({"transported"}, priority=2, code="chest_pain")
    await shift.send(incident, als[0])
    await shift.press(als[0], "en_route", "on_scene")
    await shift.transport(als[0], first)

    # Several units on one call: one transports, the others clear from the scene.
    for n in (2, 2, 3):
        incident = await shift.call(
            {"multi-unit", "transported"}, priority=2, code="breathing_problems"
        )
        units = als[:n]
        for unit in units:
            await shift.send(incident, unit)
        for unit in units:
            await shift.press(unit, "en_route", "on_scene")
        for unit in units[1:]:
            await shift.press(unit, "available")
        await shift.transport(units[0], second)

    # Treated and released on scene: no transport.
    for unit in (any_unit[3], any_unit[4]):
        incident = await shift.call({"no-transport"})
        await shift.send(incident, unit)
        await shift.press(unit, "en_route", "on_scene", "available")

    # Cancelled: en route, only dispatched, and with two units on the way.
    incident = await shift.call({"cancelled"})
    await shift.send(incident, any_unit[5])
    await shift.press(any_unit[5], "en_route")
    cancelled_en_route = incident
    incident2 = await shift.call({"cancelled"}, code="falls")
    await shift.send(incident2, any_unit[6])
    incident3 = await shift.call({"cancelled", "multi-unit"})
    await shift.send(incident3, any_unit[7])
    await shift.send(incident3, any_unit[8])
    await shift.press(any_unit[7], "en_route")
    for cancelled in (incident, incident2, incident3):
        r = await http.post(
            f"{API}/incidents/{cancelled['id']}/cancel",
            headers=shift.h,
            json={"reason": "caller says no ambulance needed"},
        )
        assert r.status_code == 200, r.text

    # Destination changed on the way (diverted to another hospital), twice over.
    for unit in (any_unit[1], any_unit[2]):
        incident = await shift.call({"diverted", "transported"})
        await shift.send(incident, unit)
        await shift.press(unit, "en_route", "on_scene")
        await shift.destination(unit, first)
        await shift.destination(unit, second)
        await shift.press(unit, "transporting", "at_hospital", "available")
    destination_changed = incident

    # A hospital on diversion: one crew is sent elsewhere, another goes there anyway.
    r = await http.post(
        f"{API}/hospitals/{first}/status", headers=supervisor, json={"ed_status": "diversion"}
    )
    assert r.status_code == 200, r.text
    try:
        incident = await shift.call({"diverted", "hospital-on-diversion", "transported"})
        await shift.send(incident, any_unit[3])
        await shift.press(any_unit[3], "en_route", "on_scene")
        await shift.destination(any_unit[3], first)
        await shift.destination(any_unit[3], second)
        await shift.press(any_unit[3], "transporting", "at_hospital", "available")
        incident = await shift.call({"hospital-on-diversion", "transported"}, priority=2)
        await shift.send(incident, any_unit[4])
        await shift.press(any_unit[4], "en_route", "on_scene")
        await shift.transport(any_unit[4], first)
    finally:
        await http.post(
            f"{API}/hospitals/{first}/status", headers=supervisor, json={"ed_status": "open"}
        )

    # A unit pulled off a fall onto a cardiac arrest; another unit takes the fall over.
    fall = await shift.call({"unit-diverted", "transported"}, priority=3)
    arrest = await shift.call({"transported"}, priority=1, code="cardiac_arrest")
    await shift.send(fall, als[1])
    await shift.press(als[1], "en_route")
    r = await http.post(
        f"{API}/units/{als[1]}/divert",
        headers=shift.h,
        json={"to_incident_id": arrest["id"], "reason": "closest ALS to the arrest"},
    )
    assert r.status_code == 201, r.text
    await shift.press(als[1], "en_route", "on_scene")
    await shift.transport(als[1], second)
    await shift.send(fall, any_unit[5])
    await shift.press(any_unit[5], "en_route", "on_scene")
    await shift.transport(any_unit[5], first)

    # A unit swapped for a closer one before it arrived.
    swapped = await shift.call({"unit-swapped", "transported"})
    await shift.send(swapped, any_unit[6])
    r = await http.post(
        f"{API}/incidents/{swapped['id']}/reassign",
        headers=shift.h,
        json={"from_unit_id": any_unit[6], "to_unit_id": any_unit[7], "reason": "closer"},
    )
    assert r.status_code == 201, r.text
    await shift.press(any_unit[7], "en_route", "on_scene")
    await shift.transport(any_unit[7], second)

    # Still under way at export time: left out, counted in the manifest.
    still_open = await shift.call({"open"})
    await shift.send(still_open, any_unit[8])
    await shift.press(any_unit[8], "en_route")
    return {
        "cancelled_en_route": cancelled_en_route,
        "destination_changed": destination_changed,
        "fall": fall,
        "still_open": still_open,
        "hospitals": {h["id"]: h["name"] for h in hospitals},
        "second": second,
    }


def _findings(archive: zipfile.ZipFile, kinds: dict[str, set[str]]) -> dict[str, Any]:
    """Validate every file of the archive; results per file and per incident kind."""
    check = validator()
    files: list[dict[str, Any]] = []
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    warning_rules: Counter[str] = Counter()
    for name in archive.namelist():
        if not name.endswith(".xml"):
            continue
        result = check.validate(archive.read(name))
        number = name.removeprefix("EMS-").removesuffix(".xml")
        row = {
            "file": name,
            "kinds": sorted(kinds.get(number, {"agency (DEM)"} if name == "DEM.xml" else set())),
            "patient_care_reports": len(
                ET.fromstring(archive.read(name)).findall("n:Header/n:PatientCareReport", NS)
            ),
            "xsd_errors": len(result.xsd_errors),
            "schematron_errors": len(result.errors),
            "schematron_warnings": len(result.warnings),
            "problems": [*result.xsd_errors, *(f"{f.rule}: {f.text}" for f in result.errors)],
        }
        files.append(row)
        warning_rules.update(f"{f.rule}: {f.text}" for f in result.warnings)
        for kind in row["kinds"]:
            counts = per_kind[kind]
            counts["files"] += 1
            for key in ("patient_care_reports", "xsd_errors", "schematron_errors",
                        "schematron_warnings"):  # fmt: skip
                counts[key] += row[key]
    return {
        "files": files,
        "per_kind": {k: dict(v) for k, v in sorted(per_kind.items())},
        "warnings_by_rule": dict(warning_rules.most_common()),
    }


async def test_a_shift_exports_as_nemsis_xml_that_passes_xsd_and_schematron(
    http: httpx.AsyncClient, reset_fleet: None, database_url: str, tmp_path: Path
) -> None:
    # No slack before the shift: an incident the previous story logged a moment ago must not fall
    # into the window (server and test read the same clock).
    started = datetime.now(UTC)
    dispatcher = await login(http, "dispatcher")
    supervisor = await login(http, "supervisor")
    fleet = {u["call_sign"]: u for u in (await http.get(f"{API}/units", headers=dispatcher)).json()}
    shift = Shift(http, dispatcher)
    made = await _build_shift(shift, http, supervisor, fleet)
    window = {
        "from": started.isoformat(),
        "to": (datetime.now(UTC) + timedelta(seconds=5)).isoformat(),
    }

    r = await http.get(f"{API}/review/nemsis", headers=supervisor, params=window)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"].startswith('attachment; filename="nemsis-')
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    manifest = json.loads(archive.read("manifest.json"))
    names = archive.namelist()
    exported = {n.removeprefix("EMS-").removesuffix(".xml") for n in names if n.startswith("EMS-")}
    expected = set(shift.kinds) - {made["still_open"]["number"]}
    assert exported == expected and len(exported) >= 20
    assert manifest["incidents"] == len(exported) and manifest["responses_still_open"] == 1
    assert "DEM.xml" in names

    results = _findings(archive, shift.kinds)
    total = {
        key: sum(f[key] for f in results["files"])
        for key in (
            "patient_care_reports",
            "xsd_errors",
            "schematron_errors",
            "schematron_warnings",
        )  # fmt: skip
    }
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(
        json.dumps(
            {
                "written_by": "tests/integration/test_nemsis_export.py",
                "nemsis": "v3.5.1 (3.5.1.250403CP1), national XSDs and Schematron",
                "incidents": len(exported),
                "totals": total,
                **results,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    bad = [f for f in results["files"] if f["xsd_errors"] or f["schematron_errors"]]
    assert bad == [], json.dumps(bad, indent=2)
    for kind in ("transported", "multi-unit", "cancelled", "diverted", "hospital-on-diversion",
                 "unit-diverted", "unit-swapped", "no-transport"):  # fmt: skip
        assert results["per_kind"][kind]["files"] >= 1, kind
    assert total["patient_care_reports"] == manifest["patient_care_reports"]

    _check_records(archive, made)
    await _check_audit(database_url, window)
    _check_cli(tmp_path, database_url, window, names)


def _reports(archive: zipfile.ZipFile, incident: dict) -> list[ET.Element]:
    root = ET.fromstring(archive.read(f"EMS-{incident['number']}.xml"))
    return root.findall("n:Header/n:PatientCareReport", NS)


def _text(node: ET.Element, path: str) -> str | None:
    found = node.find(path, NS)
    return None if found is None else found.text


def _check_records(archive: zipfile.ZipFile, made: dict[str, Any]) -> None:
    """What the records say matches what was done through the API."""
    group = "n:eDisposition/n:eDisposition.IncidentDispositionGroup"
    (cancelled,) = _reports(archive, made["cancelled_en_route"])
    assert _text(cancelled, f"{group}/n:eDisposition.27") == "4227005"
    assert _text(cancelled, "n:eTimes/n:eTimes.14") is not None
    assert _text(cancelled, "n:eTimes/n:eTimes.05") is not None, "it was en route"

    (changed,) = _reports(archive, made["destination_changed"])
    assert _text(changed, "n:eDisposition/n:eDisposition.20") == "4220003"
    assert (
        _text(changed, "n:eDisposition/n:eDisposition.DestinationGroup/n:eDisposition.01")
        == made["hospitals"][made["second"]]
    )
    assert _text(changed, f"{group}/n:eDisposition.30") == "4230001"

    # The fall: the first unit was pulled away (cancelled for this call), the second transported.
    pulled, took_over = _reports(archive, made["fall"])
    assert _text(pulled, "n:eTimes/n:eTimes.14") == _text(pulled, "n:eTimes/n:eTimes.13")
    assert _text(pulled, f"{group}/n:eDisposition.27") == "4227005"
    assert _text(took_over, f"{group}/n:eDisposition.30") == "4230001"
    assert _text(pulled, "n:eResponse/n:eResponse.14") != _text(
        took_over, "n:eResponse/n:eResponse.14"
    )
    pulled_away = _text(pulled, "n:eTimes/n:eTimes.14")
    sent = _text(took_over, "n:eTimes/n:eTimes.03")
    assert pulled_away is not None and sent is not None and sent >= pulled_away, (
        "each unit has its own eTimes.03: the second was sent after the first was pulled away"
    )


async def _check_audit(database_url: str, window: dict[str, str]) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT actor, detail::text AS detail FROM audit WHERE kind = 'export' "
            "AND subject = 'review:nemsis' ORDER BY id DESC LIMIT 1"
        )
    finally:
        await conn.close()
    assert row is not None and row["actor"] == "supervisor"
    detail = json.loads(row["detail"])
    assert detail["incidents"] >= 20 and detail["reports"] > detail["incidents"]
    assert datetime.fromisoformat(detail["from"]) == datetime.fromisoformat(window["from"])


def _check_cli(tmp_path: Path, database_url: str, window: dict[str, str], names: list[str]) -> None:
    """``goldenhour export nemsis`` writes the same files, and --validate passes them."""
    out = tmp_path / "shift.zip"
    env = dict(os.environ, DATABASE_URL=database_url, COLUMNS="200")
    env.pop("GOLDENHOUR_APP_DATABASE_URL", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dispatch.cli",
            "export",
            "nemsis",
            "--from",
            window["from"],
            "--to",
            window["to"],
            "--out",
            str(out),
            "--validate",
            str(NEMSIS),
        ],  # fmt: skip
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 XSD errors, 0 Schematron errors" in done.stdout
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == names


async def test_bad_ranges_are_problems_and_only_review_roles_export(
    http: httpx.AsyncClient,
) -> None:
    supervisor = await login(http, "supervisor")
    now = datetime.now(UTC)
    cases = [
        {},
        {"from": now.isoformat()},
        {"from": now.isoformat(), "to": (now - timedelta(hours=1)).isoformat()},
        {"from": now.isoformat(), "to": now.isoformat()},
        {"from": (now - timedelta(days=40)).isoformat(), "to": now.isoformat()},
    ]
    for params in cases:
        assert_problem(
            await http.get(f"{API}/review/nemsis", headers=supervisor, params=params),
            422,
            "validation-error",
        )
    r = await http.get(
        f"{API}/review/nemsis", headers=supervisor, params={"from": "yesterday", "to": "today"}
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    day = {"from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}
    auditor = await login(http, "auditor")
    r = await http.get(f"{API}/review/nemsis", headers=auditor, params=day)
    assert r.status_code == 200 and r.content[:2] == b"PK", "the auditor reads the review too"
    dispatcher = await login(http, "dispatcher")
    assert_problem(
        await http.get(f"{API}/review/nemsis", headers=dispatcher, params=day), 403, "forbidden"
    )
