"""NEMSIS v3.5.1 XML from unit responses: the right element per unit, NOT values where a
dispatch system cannot know, and files that pass the XSDs and the national Schematron."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dispatch.domain import nemsis_archive
from dispatch.domain import nemsis_xml as nx
from dispatch.domain.geo import Location
from dispatch.domain.model import Incident, IncidentStatus
from dispatch.domain.unit_responses import LogEntry, Order, unit_responses
from tests.nemsis_support import validator

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
N = {"n": nx.NS, "xsi": nx.XSI}
AGENCY = nx.Agency("GOLDENHOUR", "GH001", "Golden Hour EMS", "00", "00000", "0.1.0")
HOSPITALS = {1: nx.Place(1, "Meilahti", 24.90, 60.19), 2: nx.Place(2, "Jorvi", 24.66, 60.22)}
FLEET = {1: nx.Vehicle(1, "A01", "ALS"), 2: nx.Vehicle(2, "A02", "BLS")}
HELSINKI = ZoneInfo("Europe/Helsinki")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def entry(name: str, seconds: float, unit: int, **data: object) -> LogEntry:
    return LogEntry(name, at(seconds), unit, data)


def incident(**fields: object) -> Incident:
    values: dict[str, object] = {
        "id": 7,
        "number": "2026-000007",
        "location": Location(24.9384, 60.1699),
        "address": "Mannerheimintie 5",
        "complaint": "chest pain",
        "priority": 1,
        "status": IncidentStatus.CLOSED,
        "received_at": T0,
        "complaint_code": "chest_pain",
        "determinant": "D",
        "determinant_code": "chest_pain-D-2",
    }
    values.update(fields)
    return Incident(**values)  # type: ignore[arg-type]


def two_unit_record() -> nx.IncidentRecord:
    """A01 transports (its destination changed on the way), A02 arrives and clears."""
    orders = [Order(11, 1, at(60), at(66)), Order(12, 2, at(90))]
    log = [
        entry("UnitAssigned", 60, 1, order_id=11),
        entry("UnitAssigned", 90, 2, order_id=12),
        entry("UnitStatusChanged", 70, 1, status="en_route"),
        entry("UnitStatusChanged", 100, 2, status="en_route"),
        entry("UnitStatusChanged", 400, 2, status="on_scene"),
        entry("UnitStatusChanged", 420, 1, status="on_scene"),
        entry("DestinationChosen", 500, 1, hospital=1, hospital_status="diversion"),
        entry("DestinationChosen", 520, 1, hospital=2, hospital_status="open"),
        entry("UnitStatusChanged", 600, 1, status="transporting"),
        entry("UnitStatusChanged", 610, 2, status="available", previous="on_scene"),
        entry("UnitStatusChanged", 1200, 1, status="at_hospital"),
        entry("UnitStatusChanged", 1800, 1, status="returning"),
    ]
    responses = unit_responses(orders, log)
    return nx.IncidentRecord(incident(), [(FLEET[r.unit_id], r) for r in responses])


def cancelled_record() -> nx.IncidentRecord:
    orders = [Order(21, 2, at(30))]
    log = [
        entry("UnitAssigned", 30, 2, order_id=21),
        entry("UnitStatusChanged", 200, 2, status="available", reason="call cancelled: hung up"),
    ]
    responses = unit_responses(orders, log)
    untriaged = incident(
        id=9,
        number="2026-000009",
        status=IncidentStatus.CANCELLED,
        priority=3,
        complaint_code=None,
        determinant=None,
        determinant_code=None,
        address=None,
    )
    return nx.IncidentRecord(untriaged, [(FLEET[r.unit_id], r) for r in responses])


def reports(xml: bytes) -> list[ET.Element]:
    return ET.fromstring(xml).findall("n:Header/n:PatientCareReport", N)


def text(node: ET.Element, path: str) -> str | None:
    found = node.find(path, N)
    assert found is not None, path
    return found.text


def nv(node: ET.Element, path: str) -> str | None:
    found = node.find(path, N)
    assert found is not None, path
    assert found.get(f"{{{nx.XSI}}}nil") == "true" and not found.text, path
    return found.get("NV")


def test_one_report_per_unit_with_its_own_times_and_disposition() -> None:
    xml = nx.ems_dataset(two_unit_record(), AGENCY, HOSPITALS, zone=HELSINKI)
    a01, a02 = reports(xml)
    assert text(a01, "n:eRecord/n:eRecord.01") == "2026-000007-11"
    assert text(a01, "n:eResponse/n:eResponse.14") == "A01"
    assert text(a02, "n:eResponse/n:eResponse.14") == "A02"
    assert text(a01, "n:eResponse/n:eResponse.07") == "2207015"  # ALS ground
    assert text(a02, "n:eResponse/n:eResponse.07") == "2207017"  # BLS ground
    assert text(a01, "n:eResponse/n:eResponse.23") == "2223001"  # priority 1: emergent
    assert text(a01, "n:eDispatch/n:eDispatch.01") == "2301021"  # chest pain
    assert text(a01, "n:eDispatch/n:eDispatch.02") == "2302007"  # EMD performed
    assert text(a01, "n:eDispatch/n:eDispatch.03") == "D-2"  # "chest_pain-D-2" is too long
    # Each unit's own times, as the centre's wall clock with its offset (UTC+2 in March).
    assert text(a01, "n:eTimes/n:eTimes.01") == "2026-03-01T10:00:00+02:00"
    assert text(a01, "n:eTimes/n:eTimes.03") == "2026-03-01T10:01:00+02:00"
    assert text(a02, "n:eTimes/n:eTimes.03") == "2026-03-01T10:01:30+02:00"
    assert text(a01, "n:eTimes/n:eTimes.04") == "2026-03-01T10:01:06+02:00"
    assert text(a01, "n:eTimes/n:eTimes.06") == "2026-03-01T10:07:00+02:00"
    assert text(a02, "n:eTimes/n:eTimes.06") == "2026-03-01T10:06:40+02:00"
    assert text(a01, "n:eTimes/n:eTimes.11") == "2026-03-01T10:20:00+02:00"
    assert nv(a01, "n:eTimes/n:eTimes.07") == nx.NOT_RECORDED  # at patient: the crew's to say
    assert text(a02, "n:eTimes/n:eTimes.09") == "2026-03-01T10:10:10+02:00"  # cleared, left
    assert nv(a02, "n:eTimes/n:eTimes.11") == nx.NOT_APPLICABLE  # A02 did not transport
    assert a01.find("n:eTimes/n:eTimes.14", N) is None, "not cancelled"
    # The first unit on scene is A02, though A01 was sent first.
    assert (
        text(a02, "n:eScene/n:eScene.01") == nx.YES and text(a01, "n:eScene/n:eScene.01") == nx.NO
    )
    assert text(a01, "n:eScene/n:eScene.11") == "60.169900,24.938400"  # lat,lon
    assert text(a01, "n:eScene/n:eScene.15") == "Mannerheimintie 5"
    # Transport: A01 took the patient to Jorvi after Meilahti was first named (diversion).
    disposition = "n:eDisposition/n:eDisposition.IncidentDispositionGroup"
    assert text(a01, f"{disposition}/n:eDisposition.27") == "4227001"
    assert text(a01, f"{disposition}/n:eDisposition.30") == "4230001"
    assert text(a02, f"{disposition}/n:eDisposition.30") == "4230005"  # another unit transported
    destination = "n:eDisposition/n:eDisposition.DestinationGroup"
    assert text(a01, f"{destination}/n:eDisposition.01") == "Jorvi"
    assert text(a01, "n:eDisposition/n:eDisposition.20") == "4220003"  # diversion
    assert text(a01, "n:eDisposition/n:eDisposition.21") == "4221003"  # hospital ED
    assert a02.find(f"{destination}/n:eDisposition.01", N) is None
    # Clinical elements are NOT values, never invented.
    assert nv(a01, "n:eSituation/n:eSituation.11") == nx.NOT_RECORDED
    assert nv(a01, "n:ePatient/n:ePatient.AgeGroup/n:ePatient.15") == nx.NOT_RECORDED


def test_a_cancelled_unit_has_its_cancel_time_and_nothing_clinical_applies() -> None:
    xml = nx.ems_dataset(cancelled_record(), AGENCY, HOSPITALS, zone=ZoneInfo("UTC"))
    (report,) = reports(xml)
    assert text(report, "n:eTimes/n:eTimes.14") == "2026-03-01T08:03:20+00:00"
    assert text(report, "n:eTimes/n:eTimes.13") == "2026-03-01T08:03:20+00:00"
    assert nv(report, "n:eTimes/n:eTimes.05") == nx.NOT_APPLICABLE
    assert nv(report, "n:eTimes/n:eTimes.06") == nx.NOT_APPLICABLE
    assert text(report, "n:eDispatch/n:eDispatch.01") == nx.OTHER_REASON
    assert text(report, "n:eDispatch/n:eDispatch.02") == "2302001"  # no protocol triage
    assert report.find("n:eDispatch/n:eDispatch.03", N) is None
    assert text(report, "n:eResponse/n:eResponse.23") == "2223005"  # priority 3
    disposition = "n:eDisposition/n:eDisposition.IncidentDispositionGroup"
    assert text(report, f"{disposition}/n:eDisposition.27") == "4227005"  # before arrival
    assert text(report, f"{disposition}/n:eDisposition.30") == "4230013"  # no transport
    assert nv(report, "n:eSituation/n:eSituation.11") == nx.NOT_APPLICABLE
    assert report.find("n:eScene/n:eScene.15", N) is None, "no address: element left out"


def test_the_xml_passes_the_xsd_and_the_national_schematron() -> None:
    check = validator()
    for record in (two_unit_record(), cancelled_record()):
        result = check.validate(nx.ems_dataset(record, AGENCY, HOSPITALS, zone=HELSINKI))
        assert result.xsd_errors == [] and result.errors == [], (result.xsd_errors, result.errors)
    dem = nx.dem_dataset(
        AGENCY,
        [nx.Place(1, "Station 1", 24.95, 60.17)],
        FLEET.values(),
        HOSPITALS.values(),
        at=T0,
        zone=HELSINKI,
    )
    result = check.validate(dem)
    assert result.xsd_errors == [] and result.errors == [], (result.xsd_errors, result.errors)
    vehicles = ET.fromstring(dem).findall(".//n:dVehicle.VehicleGroup/n:dVehicle.03", N)
    assert [v.text for v in vehicles] == ["A01", "A02"]


def test_the_archive_holds_the_dem_one_file_per_incident_and_a_manifest() -> None:
    window = nemsis_archive.ExportWindow(
        start=T0,
        end=T0 + timedelta(days=1),
        records=[
            two_unit_record(),
            cancelled_record(),
            nx.IncidentRecord(incident(id=8, number="2026-000008"), []),  # its unit still works
        ],
        open_responses=1,
        vehicles=list(FLEET.values()),
        stations=[],
        hospitals=HOSPITALS,
    )
    body = nemsis_archive.build(window, AGENCY, at=T0, zone=HELSINKI)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert names == ["DEM.xml", "EMS-2026-000007.xml", "EMS-2026-000009.xml", "manifest.json"]
    assert manifest["incidents"] == 2 and manifest["patient_care_reports"] == 3
    assert manifest["responses_still_open"] == 1
    assert manifest["nemsis_version"] == "3.5.1.250403CP1"
