"""MCI patients in the NEMSIS export: one PatientCareReport per transported patient, under the
response (trip) that carried it, with the MCI flag, the initial triage colour and the patient's
own destination; every other response keeps its one record."""

from __future__ import annotations

import dataclasses
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from datetime import timedelta

from dispatch.domain import mci as m
from dispatch.domain import nemsis_archive
from dispatch.domain import nemsis_xml as nx
from dispatch.domain.events import Event
from dispatch.domain.unit_responses import LogEntry, Order, unit_responses
from tests.nemsis_support import validator
from tests.unit.domain.test_nemsis_xml import AGENCY, HELSINKI, HOSPITALS, at, entry, incident

N = {"n": nx.NS, "xsi": nx.XSI}
FLEET = {
    1: nx.Vehicle(1, "A01", "ALS"),
    2: nx.Vehicle(2, "A02", "BLS"),
    3: nx.Vehicle(3, "A03", "ALS"),
}
#: eScene.08 codes as the XSD lists them (TriageClassification), written out, not imported.
RED, YELLOW, GREEN, GREY, BLACK = "2708001", "2708003", "2708005", "2708007", "2708009"


def _log(events: Iterable[Event]) -> list[LogEntry]:
    """Events as the store reads them back: the unit in its column, the rest in the payload."""
    out = []
    for e in events:
        data = {
            k: v
            for k, v in dataclasses.asdict(e).items()
            if k not in ("occurred_at", "unit", "incident")
        }
        out.append(LogEntry(e.name, e.occurred_at, e.unit_id, data))
    return out


def crash() -> nx.IncidentRecord:
    """A01 commands and clears; A02 takes T1 to hospital 1, comes back under a new order and
    takes T5 to hospital 2; A03 takes T2 (tagged green, re-triaged yellow) and T3 to hospital 2.
    T4 is dead on scene, T6 a green still waiting."""
    orders = [
        Order(31, 1, at(60)),
        Order(32, 2, at(60)),
        Order(33, 3, at(60)),
        Order(34, 2, at(2000)),
    ]
    unit_log = [
        entry("UnitAssigned", 60, 1, order_id=31),
        entry("UnitAssigned", 60, 2, order_id=32),
        entry("UnitAssigned", 60, 3, order_id=33),
        *(entry("UnitStatusChanged", 70, u, status="en_route") for u in (1, 2, 3)),
        *(entry("UnitStatusChanged", 400, u, status="on_scene") for u in (1, 2, 3)),
        entry("UnitStatusChanged", 900, 2, status="transporting"),
        entry("UnitStatusChanged", 950, 3, status="transporting"),
        entry("UnitStatusChanged", 1500, 2, status="at_hospital"),
        entry("UnitStatusChanged", 1600, 3, status="at_hospital"),
        entry("UnitStatusChanged", 1900, 2, status="available"),
        entry("UnitStatusChanged", 2000, 3, status="returning"),
        entry("UnitAssigned", 2000, 2, order_id=34),  # A02's second trip
        entry("UnitStatusChanged", 2010, 2, status="en_route"),
        entry("UnitStatusChanged", 2300, 2, status="on_scene"),
        entry("UnitStatusChanged", 2500, 2, status="transporting"),
        entry("UnitStatusChanged", 3100, 2, status="at_hospital"),
        entry("UnitStatusChanged", 3500, 2, status="returning"),
        entry("UnitStatusChanged", 3600, 1, status="available", previous="on_scene"),
    ]
    events: list[Event] = []

    def tagged(tag: str, category: m.TriageCategory, seconds: float) -> m.Patient:
        patient, recorded = m.register_patient(7, tag, category, at=at(seconds))
        events.extend(recorded)
        return patient

    def carry(
        p: m.Patient, unit: int, hospital: int, left: float, arrived: float | None
    ) -> m.Patient:
        for step in (
            lambda q: q.assign(unit, at=at(left - 60), hospital=hospital),
            lambda q: q.depart(at=at(left)),
            *([] if arrived is None else [lambda q: q.arrive(at=at(arrived))]),
        ):
            p, recorded = step(p)
            events.extend(recorded)
        return p

    t2 = tagged("T2", m.TriageCategory.MINOR, 420)
    t2, recorded = t2.retriage(m.TriageCategory.DELAYED, at=at(600), reason="worse")
    events.extend(recorded)
    patients = [
        carry(tagged("T1", m.TriageCategory.IMMEDIATE, 410), 2, 1, 900, 1500),
        carry(t2, 3, 2, 950, 1600),
        carry(tagged("T3", m.TriageCategory.DELAYED, 430), 3, 2, 950, 1600),
        tagged("T4", m.TriageCategory.DEAD, 440),
        carry(tagged("T5", m.TriageCategory.EXPECTANT, 450), 2, 2, 2500, 3100),
        tagged("T6", m.TriageCategory.MINOR, 460),
    ]
    responses = unit_responses(orders, unit_log)
    return nx.IncidentRecord(
        incident(priority=2),
        [(FLEET[r.unit_id], r) for r in responses if r.ended],
        nx.MciRecord(patients, _log(events)),
    )


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


def test_one_report_per_transported_patient_under_the_trip_that_carried_it() -> None:
    xml = nx.ems_dataset(crash(), AGENCY, HOSPITALS, zone=HELSINKI)
    pcrs = reports(xml)
    seen = [
        (
            text(p, "n:eRecord/n:eRecord.01"),
            text(p, "n:eResponse/n:eResponse.04"),
            text(p, "n:eResponse/n:eResponse.14"),
        )
        for p in pcrs
    ]
    assert seen == [
        ("2026-000007-31", "2026-000007-31", "A01"),  # command: its own record
        ("2026-000007-32-T1", "2026-000007-32", "A02"),
        ("2026-000007-33-T2", "2026-000007-33", "A03"),
        ("2026-000007-33-T3", "2026-000007-33", "A03"),
        ("2026-000007-34-T5", "2026-000007-34", "A02"),  # the second trip, its own order
    ]
    a01, t1, t2, t3, t5 = pcrs
    assert [text(p, "n:eScene/n:eScene.08") for p in (t1, t2, t3, t5)] == [
        RED,
        GREEN,  # the initial colour: T2 was re-triaged yellow later
        YELLOW,
        GREY,
    ]
    destination = "n:eDisposition/n:eDisposition.DestinationGroup/n:eDisposition.01"
    assert [text(p, destination) for p in (t1, t2, t3, t5)] == [
        HOSPITALS[1].name,
        HOSPITALS[2].name,
        HOSPITALS[2].name,
        HOSPITALS[2].name,
    ]
    outcome = "n:eDisposition/n:eDisposition.IncidentDispositionGroup"
    for p in (t1, t2, t3, t5):
        assert text(p, "n:eScene/n:eScene.07") == nx.YES
        assert text(p, "n:eScene/n:eScene.06") == "2707001"
        assert text(p, f"{outcome}/n:eDisposition.30") == "4230001"
        assert text(p, "n:eDisposition/n:eDisposition.21") == "4221003"
        # No unit named a destination: the patient's own, from the transport officer.
        assert nv(p, "n:eDisposition/n:eDisposition.20") == nx.NOT_RECORDED
        # Age is a band, not an age: ePatient.15 is left to the crew's ePCR.
        assert nv(p, "n:ePatient/n:ePatient.AgeGroup/n:ePatient.15") == nx.NOT_RECORDED
    # The trips' own times: T5 left with A02's second order, not its first.
    assert text(t1, "n:eTimes/n:eTimes.09") == "2026-03-01T10:15:00+02:00"
    assert text(t5, "n:eTimes/n:eTimes.09") == "2026-03-01T10:41:40+02:00"
    assert text(t5, "n:eTimes/n:eTimes.11") == "2026-03-01T10:51:40+02:00"
    assert text(a01, "n:eScene/n:eScene.07") == nx.YES
    assert nv(a01, "n:eScene/n:eScene.08") == nx.NOT_APPLICABLE
    assert text(a01, f"{outcome}/n:eDisposition.30") == "4230005"  # others transported
    uuids = [p.get("UUID") for p in pcrs]
    assert len(set(uuids)) == len(uuids)


def test_the_mci_records_pass_the_xsd_and_the_national_schematron() -> None:
    result = validator().validate(nx.ems_dataset(crash(), AGENCY, HOSPITALS, zone=HELSINKI))
    assert result.xsd_errors == [] and result.errors == [], (result.xsd_errors, result.errors)


def test_a_patient_on_a_unit_still_under_way_waits_for_its_response_to_end() -> None:
    record = crash()
    # Drop A02's second trip as if it were still under way (responses are only ended ones).
    unfinished = nx.IncidentRecord(
        record.incident,
        [(v, r) for v, r in record.responses if r.order_id != 34],
        record.mci,
    )
    numbers = [
        nx.report_number(unfinished.incident, r.response, r.patient)
        for r in nx.care_reports(unfinished)
    ]
    assert "2026-000007-34-T5" not in numbers and len(numbers) == 4
    summary = nx.mci_summary(unfinished)
    assert summary is not None
    assert (summary.reported, summary.not_reported) == (3, 1)
    assert summary.without_transport == {"on_scene": {"dead": 1, "minor": 1}}


def test_without_an_mci_the_same_responses_give_one_record_each() -> None:
    record = crash()
    plain = nx.IncidentRecord(record.incident, record.responses)
    assert nx.mci_summary(plain) is None
    pcrs = reports(nx.ems_dataset(plain, AGENCY, HOSPITALS, zone=HELSINKI))
    assert len(pcrs) == len(record.responses) == 4
    for p in pcrs:
        assert nv(p, "n:eScene/n:eScene.07") == nx.NOT_RECORDED
        assert nv(p, "n:eScene/n:eScene.08") == nx.NOT_RECORDED


def test_a_long_or_spaced_tag_gives_a_short_stable_report_number() -> None:
    record = crash()
    _, response = record.responses[1]
    long_tag = dataclasses.replace(record.mci.patients[0], tag="X" * 32)  # type: ignore[union-attr]
    spaced = dataclasses.replace(long_tag, tag="red 7")
    for patient in (long_tag, spaced):
        number = nx.report_number(record.incident, response, patient)
        assert len(number) <= nx.REPORT_NUMBER_MAX and " " not in number
        assert number == nx.report_number(record.incident, response, patient)
    assert nx.report_number(record.incident, response, long_tag) != nx.report_number(
        record.incident, response, spaced
    )


def test_the_manifest_counts_patient_records_and_accounts_for_the_rest() -> None:
    window = nemsis_archive.ExportWindow(
        start=at(0),
        end=at(0) + timedelta(days=1),
        records=[crash()],
        open_responses=0,
        vehicles=list(FLEET.values()),
        stations=[],
        hospitals=HOSPITALS,
    )
    assert window.reports == 5
    with zipfile.ZipFile(
        io.BytesIO(nemsis_archive.build(window, AGENCY, at=at(0), zone=HELSINKI))
    ) as z:
        manifest = json.loads(z.read("manifest.json"))
    (entry,) = manifest["files"]
    assert manifest["patient_care_reports"] == 5 and len(entry["reports"]) == 5
    assert entry["mci"] == {
        "patients_reported": 4,
        "transported_not_reported": 0,
        "without_transport": {"on_scene": {"dead": 1, "minor": 1}},
    }
