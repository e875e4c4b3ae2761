"""A mass-casualty incident in the NEMSIS export: one PatientCareReport per transported patient.

A crash with four tagged patients (one re-triaged while waiting, one dead on scene), three of
them carried by two ambulances to two hospitals, a third unit in command; plus an ordinary call
in the same window. Built through the real API, exported as a supervisor, every file checked
against the national XSDs and Schematron.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime, timedelta

import httpx

from tests.nemsis_support import validator
from tests.support import a_point_on_a_road, login

API = "/api/v1"
NS = {"n": "http://www.nemsis.org"}
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
YES = "9923003"
#: eScene.08 codes of the XSD's TriageClassification, by our category (written out here, not
#: read from the code under test).
RED, YELLOW, GREEN = "2708001", "2708003", "2708005"


def _text(node: ET.Element, path: str) -> str | None:
    found = node.find(path, NS)
    assert found is not None, path
    return found.text


def _nv(node: ET.Element, path: str) -> str | None:
    """The NOT value of an element left empty (``xsi:nil``), asserting it is empty."""
    found = node.find(path, NS)
    assert found is not None, path
    assert found.get(XSI_NIL) == "true" and not found.text, path
    return found.get("NV")


async def _press(
    http: httpx.AsyncClient, headers: dict[str, str], unit: int, *statuses: str
) -> None:
    for status in statuses:
        r = await http.post(f"{API}/units/{unit}/status", headers=headers, json={"status": status})
        assert r.status_code == 200, r.text


async def test_an_mci_exports_one_record_per_transported_patient(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    started = datetime.now(UTC)
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    units = {
        u["call_sign"]: u["id"] for u in (await http.get(f"{API}/units", headers=dispatcher)).json()
    }
    hospitals = {
        h["id"]: h["name"] for h in (await http.get(f"{API}/hospitals", headers=dispatcher)).json()
    }
    north, south = sorted(hospitals)[:2]
    for hid in (north, south):  # earlier stories may have left an ED on diversion
        r = await http.post(
            f"{API}/hospitals/{hid}/status", headers=supervisor, json={"ed_status": "open"}
        )
        assert r.status_code == 200, r.text
    command, first, second, ordinary_unit = units["A01"], units["A02"], units["A03"], units["A04"]

    # The crash: three ambulances, declared an MCI with A01 in command.
    r = await http.post(
        f"{API}/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 33),
            "complaint": "car crash, several hurt",
            "priority": 2,
        },
    )
    assert r.status_code == 201, r.text
    crash = r.json()
    for unit in (command, first, second):
        r = await http.post(
            f"{API}/incidents/{crash['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": unit},
        )
        assert r.status_code == 201, r.text
    for unit in (command, first, second):
        await _press(http, dispatcher, unit, "en_route", "on_scene")
    mci = f"{API}/incidents/{crash['id']}/mci"
    r = await http.post(
        mci, headers=dispatcher, json={"patients": 4, "incident_command_unit_id": command}
    )
    assert r.status_code == 201, r.text

    # Four tags: T2 is first green and re-triaged yellow while waiting; T4 is dead.
    for body in (
        {"tag": "T1", "category": "immediate", "age_band": "adult"},
        {"tag": "T2", "category": "minor", "age_band": "child"},
        {"tag": "T3", "category": "delayed"},
        {"tag": "T4", "category": "dead"},
    ):
        r = await http.post(f"{mci}/patients", headers=dispatcher, json=body)
        assert r.status_code == 201, r.text
    r = await http.patch(
        f"{mci}/patients/T2",
        headers=dispatcher,
        json={"category": "delayed", "reason": "abdominal pain, pale"},
    )
    assert r.status_code == 200, r.text

    # A02 takes T1 north; A03 takes T2 and T3 south; A01 clears from the scene.
    for unit, hospital, tags in ((first, north, ["T1"]), (second, south, ["T2", "T3"])):
        r = await http.post(
            f"{mci}/transports",
            headers=dispatcher,
            json={"unit_id": unit, "hospital_id": hospital, "patients": tags},
        )
        assert r.status_code == 201, r.text
    await _press(http, dispatcher, first, "transporting", "at_hospital", "returning")
    await _press(http, dispatcher, second, "transporting", "at_hospital", "available")
    await _press(http, dispatcher, command, "available")
    board = (await http.get(mci, headers=dispatcher)).json()
    where = {p["tag"]: (p["status"], p["hospital_id"]) for p in board["patients"]}
    assert where == {
        "T1": ("arrived", north),
        "T2": ("arrived", south),
        "T3": ("arrived", south),
        "T4": ("on_scene", None),
    }

    # An ordinary call in the same window: one unit, one patient, taken north.
    r = await http.post(
        f"{API}/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 34),
            "complaint": "fall",
            "priority": 3,
        },
    )
    assert r.status_code == 201, r.text
    ordinary = r.json()
    r = await http.post(
        f"{API}/incidents/{ordinary['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": ordinary_unit},
    )
    assert r.status_code == 201, r.text
    await _press(http, dispatcher, ordinary_unit, "en_route", "on_scene")
    r = await http.post(
        f"{API}/units/{ordinary_unit}/destination",
        headers=dispatcher,
        json={"hospital_id": north},
    )
    assert r.status_code in (200, 201), r.text
    await _press(http, dispatcher, ordinary_unit, "transporting", "at_hospital", "available")

    window = {
        "from": started.isoformat(),
        "to": (datetime.now(UTC) + timedelta(seconds=5)).isoformat(),
    }
    r = await http.get(f"{API}/review/nemsis", headers=supervisor, params=window)
    assert r.status_code == 200, r.text
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    manifest = json.loads(archive.read("manifest.json"))
    crash_file, ordinary_file = f"EMS-{crash['number']}.xml", f"EMS-{ordinary['number']}.xml"
    assert {crash_file, ordinary_file} <= set(archive.namelist())

    # Every file passes the XSDs and the national Schematron.
    check = validator()
    for name in archive.namelist():
        if name.endswith(".xml"):
            result = check.validate(archive.read(name))
            assert result.xsd_errors == [] and result.errors == [], (
                name,
                result.xsd_errors,
                [f"{f.rule}: {f.text}" for f in result.errors],
            )

    # The crash: exactly three patient records (one per transported patient), plus A01's own.
    reports = ET.fromstring(archive.read(crash_file)).findall("n:Header/n:PatientCareReport", NS)
    by_unit: dict[str | None, list[ET.Element]] = {}
    for pcr in reports:
        by_unit.setdefault(_text(pcr, "n:eResponse/n:eResponse.14"), []).append(pcr)
    assert {k: len(v) for k, v in by_unit.items()} == {"A01": 1, "A02": 1, "A03": 2}
    patients = [p for p in reports if _text(p, "n:eScene/n:eScene.08")]
    assert len(patients) == 3
    numbers = [_text(p, "n:eRecord/n:eRecord.01") for p in reports]
    assert len(set(numbers)) == len(numbers), numbers
    found = {}
    for pcr in patients:
        number = _text(pcr, "n:eRecord/n:eRecord.01")
        assert number is not None
        tag = number.rsplit("-", 1)[1]
        found[tag] = (
            _text(pcr, "n:eResponse/n:eResponse.14"),
            _text(pcr, "n:eScene/n:eScene.08"),
            _text(pcr, "n:eDisposition/n:eDisposition.DestinationGroup/n:eDisposition.01"),
        )
        assert _text(pcr, "n:eScene/n:eScene.07") == YES
        assert _text(pcr, "n:eScene/n:eScene.06") == "2707001"  # multiple patients
        group = "n:eDisposition/n:eDisposition.IncidentDispositionGroup"
        assert _text(pcr, f"{group}/n:eDisposition.27") == "4227001"  # patient contact
        assert _text(pcr, f"{group}/n:eDisposition.30") == "4230001"  # transported by this unit
        assert _text(pcr, "n:eTimes/n:eTimes.11") is not None, "arrived at the destination"
    assert found == {
        "T1": ("A02", RED, hospitals[north]),
        "T2": ("A03", GREEN, hospitals[south]),  # eScene.08 is the *initial* triage colour
        "T3": ("A03", YELLOW, hospitals[south]),
    }
    t2, t3 = by_unit["A03"]
    for path in ("n:eResponse/n:eResponse.04", "n:eTimes/n:eTimes.09", "n:eTimes/n:eTimes.11"):
        assert _text(t2, path) == _text(t3, path), f"one response, one trip: {path}"
    (a01,) = by_unit["A01"]
    assert _text(a01, "n:eScene/n:eScene.07") == YES
    assert _nv(a01, "n:eScene/n:eScene.08") == "7701001", "no single patient: not applicable"
    assert (
        _text(a01, "n:eDisposition/n:eDisposition.IncidentDispositionGroup/n:eDisposition.30")
        == "4230005"  # others transported
    )

    entry = next(f for f in manifest["files"] if f["file"] == crash_file)
    assert len(entry["reports"]) == 4 and sorted(entry["reports"]) == sorted(numbers)
    assert entry["mci"] == {
        "patients_reported": 3,
        "transported_not_reported": 0,
        "without_transport": {"on_scene": {"dead": 1}},
    }

    # The ordinary call exports as before: one record for its one unit, no MCI elements.
    (single,) = ET.fromstring(archive.read(ordinary_file)).findall(
        "n:Header/n:PatientCareReport", NS
    )
    assert _text(single, "n:eRecord/n:eRecord.01") == _text(single, "n:eResponse/n:eResponse.04")
    for tag in ("eScene.06", "eScene.07", "eScene.08"):
        assert _nv(single, f"n:eScene/n:eScene.{tag.split('.')[1]}") == "7701003", tag
    assert (
        _text(single, "n:eDisposition/n:eDisposition.DestinationGroup/n:eDisposition.01")
        == hospitals[north]
    )
    ordinary_entry = next(f for f in manifest["files"] if f["file"] == ordinary_file)
    assert "mci" not in ordinary_entry and len(ordinary_entry["reports"]) == 1
    assert manifest["patient_care_reports"] == sum(len(f["reports"]) for f in manifest["files"])
