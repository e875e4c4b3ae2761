"""NEMSIS v3.5.1 XML: an EMSDataSet per incident (one PatientCareReport per responding unit, or
per patient it transported in a mass-casualty incident) and a minimal DEMDataSet for the agency.

Why: state EMS registries and NEMSIS itself take records as XML, validated against the national
XSD and Schematron; a CSV of times is not a record they can load. A CAD knows the dispatch half of
a patient care report (who was sent, when, where, with what complaint, where the patient went);
the clinical half is the crew's ePCR's. So every clinical element the standard requires is
written as a NOT value: ``Not Recorded`` (7701003) for a unit that reached the patient (the
information exists, just not here), ``Not Applicable`` (7701001) for one that never did (no
patient contact: the element cannot apply).

A declared MCI (``dispatch.domain.mci``) changes the unit of record: NEMSIS counts one PCR per
patient per unit, and an MCI ambulance often carries two. So a unit that transported tagged MCI
patients has one PatientCareReport per patient (same eResponse.04, its own eRecord.01), each
with the MCI flag (eScene.07), the patient's initial triage colour (eScene.08) and the
patient's own destination; every other unit keeps its one record per response, so no response
goes unreported. Patients released or dead on scene have no PCR here: the CAD does not know
which crew treated them (see :func:`care_reports` and ``docs/mci.md``).

Pure: standard library only (``xml.etree``); times, identifiers and codes come in, bytes go out.
Element names, order and code values follow the v3.5.1 XSDs (build 3.5.1.250403CP1); the tests
validate the output against those XSDs and the national Schematron.
"""

from __future__ import annotations

import hashlib
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from dispatch.domain.mci import Patient, PatientStatus, TriageCategory
from dispatch.domain.model import Incident
from dispatch.domain.nemsis import Stamp
from dispatch.domain.unit_responses import LogEntry, UnitResponse

NS = "http://www.nemsis.org"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("", NS)
ET.register_namespace("xsi", XSI)

NOT_APPLICABLE = "7701001"
NOT_RECORDED = "7701003"
YES, NO = "9923003", "9923001"

#: Our triage protocol's complaints (``protocols/triage-v1.json``) as eDispatch.01 Dispatch
#: Reason codes; an untriaged call is "No Other Appropriate Choice".
DISPATCH_REASON: Mapping[str, str] = {
    "allergic_reaction": "2301003",
    "breathing_problems": "2301013",
    "burns": "2301015",
    "cardiac_arrest": "2301019",
    "chest_pain": "2301021",
    "seizure": "2301025",
    "falls": "2301033",
    "bleeding": "2301045",
    "overdose_poisoning": "2301053",
    "pregnancy_childbirth": "2301057",
    "psychiatric": "2301059",
    "sick_person": "2301061",
    "stroke": "2301067",
    "trauma_traffic": "2301069",
    "unconscious_fainting": "2301077",
}
OTHER_REASON = "2301051"
#: Priority 1..4 as eDispatch.05 Dispatch Priority (Patient Acuity).
DISPATCH_PRIORITY: Mapping[int, str] = {1: "2305001", 2: "2305003", 3: "2305005", 4: "2305007"}
#: Unit capability as eResponse.07 Unit Transport and Equipment Capability.
TRANSPORT_CAPABILITY: Mapping[str, str] = {"ALS": "2207015", "BLS": "2207017"}
#: Unit capability as a State Certification/Licensure Level (dVehicle.05).
CARE_LEVEL: Mapping[str, str] = {"ALS": "9917007", "BLS": "9917005"}  # Paramedic / EMT
#: START/SALT categories as eScene.08 Triage Classification for MCI Patient (``eScene_v3.xsd``,
#: type ``TriageClassification``): one colour each, SALT's expectant being grey.
TRIAGE_CLASSIFICATION: Mapping[TriageCategory, str] = {
    TriageCategory.IMMEDIATE: "2708001",  # Red - Immediate
    TriageCategory.DELAYED: "2708003",  # Yellow - Delayed
    TriageCategory.MINOR: "2708005",  # Green - Minimal (Minor)
    TriageCategory.EXPECTANT: "2708007",  # Gray - Expectant
    TriageCategory.DEAD: "2708009",  # Black - Deceased
}
MULTIPLE_PATIENTS = "2707001"  # eScene.06 Number of Patients at Scene: Multiple
#: eRecord.01 is at most 50 characters (``PatientCareReportNumber``).
REPORT_NUMBER_MAX = 50


@dataclass(frozen=True, slots=True)
class Agency:
    """Who reports: the identifiers the state gave the agency, and this software."""

    state_id: str  # dAgency.01 EMS Agency Unique State ID
    number: str  # dAgency.02 EMS Agency Number (eResponse.01 repeats it)
    name: str  # dAgency.03
    state: str  # dAgency.04 ANSI state code (2 digits)
    county: str  # dAgency.06 ANSI county code (5 digits) of the service area
    software_version: str  # eRecord.04
    software_name: str = "Golden Hour"  # eRecord.03 / eDispatch.04 (the CAD)
    software_creator: str = "Golden Hour project"  # eRecord.02


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A unit of the fleet as the records name it."""

    id: int
    call_sign: str
    capability: str  # ALS / BLS


@dataclass(frozen=True, slots=True)
class Place:
    """A station or a hospital: its id, name and position (WGS84)."""

    id: int
    name: str
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class MciRecord:
    """The MCI declared on an incident: its patients (registration order) and the incident's
    ``MciPatientRegistered`` and ``MciPatientTransporting`` events (the initial triage colour
    and which unit took each patient away, and when)."""

    patients: Sequence[Patient]
    log: Sequence[LogEntry] = ()


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """An incident with each unit response to it (only responses that have ended), and its MCI
    if one was declared."""

    incident: Incident
    responses: Sequence[tuple[Vehicle, UnitResponse]]
    mci: MciRecord | None = None


@dataclass(frozen=True, slots=True)
class CareReport:
    """One PatientCareReport: a unit's response, and the MCI patient it is about (``None``:
    the unit's own record, as for any incident)."""

    vehicle: Vehicle
    response: UnitResponse
    patient: Patient | None = None
    triage: TriageCategory | None = None  # eScene.08: the patient's initial category


@dataclass(frozen=True, slots=True)
class MciSummary:
    """What the manifest says of an MCI: patients with a PCR, and why the others have none."""

    reported: int
    #: transported, but the unit's response has not ended (or cannot be found): left out
    not_reported: int
    #: the rest by status (on scene, assigned, released) and category (dead are on scene)
    without_transport: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


# --- MCI patients -------------------------------------------------------------------------------


def initial_triage(mci: MciRecord) -> dict[str, TriageCategory]:
    """Each patient's category when first tagged (``MciPatientRegistered``): what eScene.08
    asks for ("the initial triage assessment"); a re-triage does not change it. A patient
    without its registration event (never, in a complete log) keeps its current category."""
    found = {p.tag: p.category for p in mci.patients}
    seen: set[str] = set()
    for entry in mci.log:
        tag, category = entry.data.get("tag"), entry.data.get("category")
        if entry.name != "MciPatientRegistered" or not isinstance(tag, str) or tag in seen:
            continue
        seen.add(tag)
        try:
            found[tag] = TriageCategory(str(category))
        except ValueError:
            continue
    return found


def _departures(mci: MciRecord) -> dict[str, tuple[int, datetime]]:
    """Tag -> (unit, when) of the ``MciPatientTransporting`` event: who took the patient away."""
    out: dict[str, tuple[int, datetime]] = {}
    for entry in mci.log:
        tag = entry.data.get("tag")
        # The unit is the log's unit column (the payload's ``unit`` is the unit's view).
        if entry.name == "MciPatientTransporting" and isinstance(tag, str) and entry.unit_id:
            out[tag] = (entry.unit_id, entry.occurred_at)
    return out


def _carrier(
    responses: Sequence[tuple[Vehicle, UnitResponse]], unit: int, left: datetime
) -> UnitResponse | None:
    """The response under which ``unit`` left the scene at ``left``: a unit clears after each
    trip (at hospital -> available or returning), so a second trip is a second order, and the
    departure falls between one order's notification and its back-in-service time."""
    found = None
    for _, r in responses:
        start, end = r.times.get(Stamp.UNIT_NOTIFIED), r.times.get(Stamp.BACK_IN_SERVICE)
        if r.unit_id != unit or not r.transported or start is None or start > left:
            continue
        if end is not None and left > end:
            continue
        if found is None or start >= found.times[Stamp.UNIT_NOTIFIED]:
            found = r
    return found


def _carried(record: IncidentRecord) -> dict[int, list[Patient]]:
    """Order id -> the MCI patients that unit response transported, in registration order."""
    if record.mci is None:
        return {}
    departures = _departures(record.mci)
    out: dict[int, list[Patient]] = {}
    for patient in record.mci.patients:
        if patient.status not in (PatientStatus.TRANSPORTING, PatientStatus.ARRIVED):
            continue
        if patient.tag not in departures:
            continue
        response = _carrier(record.responses, *departures[patient.tag])
        if response is not None:
            out.setdefault(response.order_id, []).append(patient)
    return out


def care_reports(record: IncidentRecord) -> list[CareReport]:
    """The incident's PatientCareReports, in the order the units were sent.

    Without an MCI: one per unit response. With one, NEMSIS's unit of record is the patient
    (one PCR per patient per responding unit): a response that transported tagged patients
    has one report per patient; any other response (command, staging, treatment, cancelled,
    a patient carried without a tag) keeps its one report, so every response is on record.
    Patients released or dead on scene get none: which crew assessed them is not logged (their
    triage tag and the crew's own ePCR are the record); the manifest counts them.
    """
    carried = _carried(record)
    triage = initial_triage(record.mci) if record.mci is not None else {}
    out: list[CareReport] = []
    for vehicle, response in record.responses:
        patients = carried.get(response.order_id)
        if not patients:
            out.append(CareReport(vehicle, response))
            continue
        out.extend(
            CareReport(vehicle, response, p, triage.get(p.tag, p.category)) for p in patients
        )
    return out


def mci_summary(record: IncidentRecord) -> MciSummary | None:
    """The manifest's account of an MCI's patients (``None``: not an MCI)."""
    if record.mci is None:
        return None
    reported = {p.tag for ps in _carried(record).values() for p in ps}
    moved = (PatientStatus.TRANSPORTING, PatientStatus.ARRIVED)
    rest: dict[str, Counter[str]] = {}
    for p in record.mci.patients:
        if p.status not in moved:
            rest.setdefault(p.status.value, Counter())[p.category.value] += 1
    return MciSummary(
        reported=len(reported),
        not_reported=sum(
            1 for p in record.mci.patients if p.status in moved and p.tag not in reported
        ),
        without_transport={k: dict(sorted(v.items())) for k, v in sorted(rest.items())},
    )


# --- building blocks ----------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, _q(tag), attrs)
    if text is not None:
        node.text = text
    return node


def _nil(parent: ET.Element, tag: str, nv: str) -> ET.Element:
    """An element whose value is unknown: empty, ``xsi:nil``, with the NOT value saying why."""
    return ET.SubElement(parent, _q(tag), {f"{{{XSI}}}nil": "true", "NV": nv})


def _value(parent: ET.Element, tag: str, text: str | None, nv: str) -> ET.Element:
    return _el(parent, tag, text) if text else _nil(parent, tag, nv)


def _group(parent: ET.Element, tag: str, key: str | None = None) -> ET.Element:
    """A group element; ``key`` makes its UUID (where the XSD asks for one) stable across runs."""
    return _el(parent, tag) if key is None else _el(parent, tag, UUID=_uuid(key))


def _uuid(key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:goldenhour:nemsis:{key}"))


def _time(at: datetime, zone: tzinfo) -> str:
    """DateTimeType: local wall time with its UTC offset, whole seconds."""
    return at.astimezone(zone).isoformat(timespec="seconds")


def _gps(lat: float, lon: float) -> str:
    """GPSLocation: ``lat,lon`` with at most six decimals (about 0.1 m)."""
    return f"{lat:.6f},{lon:.6f}"


def _text(value: str | None, limit: int, minimum: int = 1) -> str | None:
    """Free text cut to the element's length; None when shorter than it allows."""
    if value is None:
        return None
    value = " ".join(value.split())[:limit]
    return value if len(value) >= minimum else None


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root)
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


# --- the EMS data set ---------------------------------------------------------------------------


def report_number(
    incident: Incident, response: UnitResponse, patient: Patient | None = None
) -> str:
    """eRecord.01: the call number and the dispatch order, unique per unit response; for an MCI
    patient also its triage tag (or, when that would pass the 50 characters the element allows,
    ``T`` and a digest of the tag: still unique, still the same on every export)."""
    number = f"{incident.number}-{response.order_id}"
    if patient is None:
        return number
    tagged = f"{number}-{patient.tag}"
    if len(tagged) <= REPORT_NUMBER_MAX and patient.tag.isprintable() and " " not in patient.tag:
        return tagged
    return f"{number}-T{hashlib.sha256(patient.tag.encode()).hexdigest()[:12]}"


def ems_dataset(record: IncidentRecord, agency: Agency, hospitals: Mapping[int, Place], *,
                zone: tzinfo) -> bytes:  # fmt: skip
    """One incident as an EMSDataSet: a PatientCareReport per unit response in ``record``, or
    per MCI patient a response transported (:func:`care_reports`)."""
    root = ET.Element(_q("EMSDataSet"))
    header = _el(root, "Header")
    demographic = _el(header, "DemographicGroup")
    _el(demographic, "dAgency.01", agency.state_id)
    _el(demographic, "dAgency.02", agency.number)
    _el(demographic, "dAgency.04", agency.state)
    first_on_scene = _first_on_scene(record)
    for report in care_reports(record):
        _care_report(header, record, report, agency, hospitals, zone, first_on_scene)
    return _serialise(root)


def _first_on_scene(record: IncidentRecord) -> int | None:
    arrived = [
        (r.times[Stamp.ON_SCENE], r.order_id) for _, r in record.responses if r.reached_scene
    ]
    return min(arrived)[1] if arrived else None


def _care_report(
    header: ET.Element,
    record: IncidentRecord,
    report: CareReport,
    agency: Agency,
    hospitals: Mapping[int, Place],
    zone: tzinfo,
    first_on_scene: int | None,
) -> None:
    incident, vehicle, response = record.incident, report.vehicle, report.response
    number = report_number(incident, response, report.patient)
    pcr = _el(header, "PatientCareReport", UUID=_uuid(f"{agency.number}/pcr/{number}"))
    # Clinical elements: "not recorded" here when the crew saw a patient, else not applicable.
    unknown = NOT_RECORDED if response.reached_scene else NOT_APPLICABLE

    e_record = _el(pcr, "eRecord")
    _el(e_record, "eRecord.01", number)
    software = _el(e_record, "eRecord.SoftwareApplicationGroup")
    _el(software, "eRecord.02", agency.software_creator)
    _el(software, "eRecord.03", agency.software_name)
    _el(software, "eRecord.04", agency.software_version)

    _response(pcr, incident, vehicle, response, agency)
    _dispatch(pcr, incident, response, agency)
    _times(pcr, incident, response, zone)
    _clinical_before_scene(pcr, unknown)
    _scene(pcr, record, report, first_on_scene)
    _clinical_after_scene(pcr, unknown)
    _disposition(pcr, record, report, hospitals, unknown)
    _outcome(pcr, unknown)


def _response(
    pcr: ET.Element, incident: Incident, vehicle: Vehicle, response: UnitResponse, agency: Agency
) -> None:
    e = _el(pcr, "eResponse")
    group = _el(e, "eResponse.AgencyGroup")
    _el(group, "eResponse.01", agency.number)
    _value(group, "eResponse.02", _text(agency.name, 100, 2), NOT_RECORDED)
    _el(e, "eResponse.03", incident.number)
    _el(e, "eResponse.04", f"{incident.number}-{response.order_id}")
    service = _el(e, "eResponse.ServiceGroup")
    _el(service, "eResponse.05", "2205001")  # 911 response in the primary response area
    _el(e, "eResponse.07", TRANSPORT_CAPABILITY.get(vehicle.capability, "2207017"))
    for delay in ("eResponse.08", "eResponse.09", "eResponse.10", "eResponse.11", "eResponse.12"):
        _nil(e, delay, NOT_RECORDED)  # delays are the crew's to report
    _el(e, "eResponse.13", str(vehicle.id))
    _el(e, "eResponse.14", vehicle.call_sign)
    # Priority 1 and 2 are sent with lights and siren; 3 and 4 in normal traffic.
    _el(e, "eResponse.23", "2223001" if incident.priority <= 2 else "2223005")
    _nil(e, "eResponse.24", NOT_RECORDED)


def _dispatch(pcr: ET.Element, incident: Incident, response: UnitResponse, agency: Agency) -> None:
    e = _el(pcr, "eDispatch")
    triaged = incident.complaint_code is not None and incident.determinant is not None
    _el(e, "eDispatch.01", DISPATCH_REASON.get(incident.complaint_code or "", OTHER_REASON))
    # Protocol triage shows pre-arrival instructions; whether they were read out is not logged.
    _el(e, "eDispatch.02", "2302007" if triaged else "2302001")
    determinant = emd_determinant(incident)
    if determinant is not None:
        _el(e, "eDispatch.03", determinant)
    _el(e, "eDispatch.04", agency.software_name)
    _el(e, "eDispatch.05", DISPATCH_PRIORITY[incident.priority])
    _el(e, "eDispatch.06", f"{incident.number}-{response.order_id}")


def emd_determinant(incident: Incident) -> str | None:
    """eDispatch.03 (at most 10 characters): the rule that fired, e.g. ``chest_pain-D-2``, or
    its determinant and rule (``D-2``) when the complaint's name makes it longer (the complaint
    is eDispatch.01 already)."""
    code = incident.determinant_code
    if not code:
        return incident.determinant
    if len(code) <= 10:
        return code
    tail = "-".join(code.rsplit("-", 2)[-2:])
    return tail if 0 < len(tail) <= 10 else incident.determinant


#: eTimes elements a CAD knows, in schema order, with whether the XSD lets them be nil.
_TIMES: tuple[tuple[str, Stamp, bool], ...] = (
    ("eTimes.01", Stamp.PSAP_CALL, True),
    ("eTimes.03", Stamp.UNIT_NOTIFIED, False),
    ("eTimes.04", Stamp.DISPATCH_ACKNOWLEDGED, False),
    ("eTimes.05", Stamp.EN_ROUTE, True),
    ("eTimes.06", Stamp.ON_SCENE, True),
    ("eTimes.07", Stamp.AT_PATIENT, True),
    ("eTimes.09", Stamp.LEFT_SCENE, True),
    ("eTimes.11", Stamp.AT_DESTINATION, True),
    ("eTimes.12", Stamp.CARE_TRANSFERRED, True),
    ("eTimes.13", Stamp.BACK_IN_SERVICE, False),
    ("eTimes.14", Stamp.CANCELLED, False),
)
#: Moments that only apply once the unit reached the scene, or transported a patient.
_AFTER_SCENE = frozenset({Stamp.ON_SCENE, Stamp.AT_PATIENT, Stamp.LEFT_SCENE})
_AFTER_TRANSPORT = frozenset({Stamp.AT_DESTINATION, Stamp.CARE_TRANSFERRED})


def missing_time(response: UnitResponse, stamp: Stamp) -> str:
    """The NOT value of a time the log does not have: not applicable when the moment could not
    happen (cancelled before the scene; no transport), not recorded when it did but is not a
    dispatch system's to know (07 at patient, 12 transfer of care) or was not pressed."""
    if stamp is Stamp.EN_ROUTE and response.cancelled:
        return NOT_APPLICABLE
    if stamp in _AFTER_SCENE and not response.reached_scene:
        return NOT_APPLICABLE
    if stamp in _AFTER_TRANSPORT and not response.transported:
        return NOT_APPLICABLE
    return NOT_RECORDED


def unit_times(incident: Incident, response: UnitResponse) -> dict[Stamp, datetime]:
    """The unit's eTimes with the incident's call time (eTimes.01 is the call's, not the unit's)."""
    return {Stamp.PSAP_CALL: incident.received_at, **response.times}


def _times(pcr: ET.Element, incident: Incident, response: UnitResponse, zone: tzinfo) -> None:
    e = _el(pcr, "eTimes")
    times = unit_times(incident, response)
    for tag, stamp, nillable in _TIMES:
        at = times.get(stamp)
        if at is not None:
            _el(e, tag, _time(at, zone))
        elif nillable:
            _nil(e, tag, missing_time(response, stamp))


def _clinical_before_scene(pcr: ET.Element, nv: str) -> None:
    """ePatient and ePayment: the patient's identity and payment are the ePCR's."""
    patient = _el(pcr, "ePatient")
    for tag in ("ePatient.07", "ePatient.08", "ePatient.09", "ePatient.14"):
        _nil(patient, tag, nv)
    age = _el(patient, "ePatient.AgeGroup")
    _nil(age, "ePatient.15", nv)
    _nil(age, "ePatient.16", nv)
    payment = _el(pcr, "ePayment")
    _nil(payment, "ePayment.01", nv)
    _nil(payment, "ePayment.50", nv)


def _scene(
    pcr: ET.Element, record: IncidentRecord, report: CareReport, first_on_scene: int | None
) -> None:
    incident, response = record.incident, report.response
    e = _el(pcr, "eScene")
    if response.reached_scene:
        _el(e, "eScene.01", YES if response.order_id == first_on_scene else NO)
    else:
        _nil(e, "eScene.01", NOT_APPLICABLE)
    unknown = NOT_RECORDED if response.reached_scene else NOT_APPLICABLE
    if record.mci is not None and response.reached_scene:
        # A declared MCI: several patients, by definition; the colour is the patient's when the
        # record is one patient's, else no single patient's applies (or, a patient carried
        # without a tag, it is not recorded here).
        _el(e, "eScene.06", MULTIPLE_PATIENTS)
        _el(e, "eScene.07", YES)
        if report.triage is not None:
            _el(e, "eScene.08", TRIAGE_CLASSIFICATION[report.triage])
        else:
            _nil(e, "eScene.08", NOT_RECORDED if response.transported else NOT_APPLICABLE)
    else:
        for tag in ("eScene.06", "eScene.07", "eScene.08"):
            _nil(e, tag, unknown)
    _nil(e, "eScene.09", unknown)
    _el(e, "eScene.11", _gps(incident.location.lat, incident.location.lon))
    address = _text(incident.address, 255)
    if address is not None:
        _el(e, "eScene.15", address)
    # ANSI state, ZIP and county codes: the map gives none (and outside the US, none exist).
    for tag in ("eScene.18", "eScene.19", "eScene.21"):
        _nil(e, tag, NOT_RECORDED)


def _clinical_after_scene(pcr: ET.Element, nv: str) -> None:
    """eSituation .. eProcedures: assessment and treatment, all the crew's ePCR's."""
    situation = _el(pcr, "eSituation")
    for n in ("01", "02", "07", "08", "09", "10", "11", "12", "13", "18", "20"):
        _nil(situation, f"eSituation.{n}", nv)
    injury = _el(pcr, "eInjury")
    for n in ("01", "03", "04"):
        _nil(injury, f"eInjury.{n}", nv)
    arrest = _el(pcr, "eArrest")
    for n in ("01", "02", "03", "04", "07", "09", "11", "12", "14", "16", "17", "18", "20", "21",
              "22"):  # fmt: skip
        _nil(arrest, f"eArrest.{n}", nv)
    history = _el(pcr, "eHistory")
    _nil(history, "eHistory.01", nv)
    _nil(history, "eHistory.17", nv)
    vitals = _group(_el(pcr, "eVitals"), "eVitals.VitalGroup")
    _nil(vitals, "eVitals.01", nv)
    _nil(vitals, "eVitals.02", nv)
    rhythm = _el(vitals, "eVitals.CardiacRhythmGroup")
    for n in ("03", "04", "05"):
        _nil(rhythm, f"eVitals.{n}", nv)
    _nil(_el(vitals, "eVitals.BloodPressureGroup"), "eVitals.06", nv)
    _nil(_el(vitals, "eVitals.HeartRateGroup"), "eVitals.10", nv)
    for n in ("12", "14", "16", "18"):
        _nil(vitals, f"eVitals.{n}", nv)
    glasgow = _el(vitals, "eVitals.GlasgowScoreGroup")
    for n in ("19", "20", "21", "22"):
        _nil(glasgow, f"eVitals.{n}", nv)
    _nil(vitals, "eVitals.26", nv)
    _nil(_el(vitals, "eVitals.PainScaleGroup"), "eVitals.27", nv)
    stroke = _el(vitals, "eVitals.StrokeScaleGroup")
    _nil(stroke, "eVitals.29", nv)
    _nil(stroke, "eVitals.30", nv)
    _nil(vitals, "eVitals.31", nv)
    _nil(_el(_el(pcr, "eProtocols"), "eProtocols.ProtocolGroup"), "eProtocols.01", nv)
    medication = _el(_el(pcr, "eMedications"), "eMedications.MedicationGroup")
    for n in ("01", "02", "03", "04"):
        _nil(medication, f"eMedications.{n}", nv)
    dosage = _el(medication, "eMedications.DosageGroup")
    _nil(dosage, "eMedications.05", nv)
    _nil(dosage, "eMedications.06", nv)
    for n in ("07", "08", "10"):
        _nil(medication, f"eMedications.{n}", nv)
    procedure = _el(_el(pcr, "eProcedures"), "eProcedures.ProcedureGroup")
    for n in ("01", "02", "03", "05", "06", "07", "08", "10"):
        _nil(procedure, f"eProcedures.{n}", nv)


def _disposition(
    pcr: ET.Element,
    record: IncidentRecord,
    report: CareReport,
    hospitals: Mapping[int, Place],
    unknown: str,
) -> None:
    response = report.response
    e = _el(pcr, "eDisposition")
    chosen = response.destination if response.transported else None
    # An MCI patient goes where the transport officer sent it (and arrived), which may differ
    # from the unit's own named destination when it carries two patients to two hospitals.
    hospital_id = report.patient.hospital if report.patient is not None else None
    if hospital_id is None and chosen is not None:
        hospital_id = chosen.hospital_id
    hospital = None if hospital_id is None else hospitals.get(hospital_id)
    none = NOT_RECORDED if response.transported else NOT_APPLICABLE
    destination = _el(e, "eDisposition.DestinationGroup")
    if hospital is not None:
        _value(destination, "eDisposition.01", _text(hospital.name, 100, 2), NOT_RECORDED)
        _el(destination, "eDisposition.02", f"H{hospital.id:02d}")
    for tag in ("eDisposition.05", "eDisposition.06", "eDisposition.07"):
        _nil(destination, tag, none)
    if hospital is not None:
        _el(destination, "eDisposition.09", _gps(hospital.lat, hospital.lon))

    outcome = _el(e, "eDisposition.IncidentDispositionGroup")
    _el(outcome, "eDisposition.27", unit_disposition(response))
    _nil(outcome, "eDisposition.28", unknown)  # evaluation and care: the crew's
    _nil(outcome, "eDisposition.29", unknown)
    _el(outcome, "eDisposition.30", transport_disposition(record, response))

    _value(e, "eDisposition.16", "4216005" if response.transported else None, none)
    _nil(e, "eDisposition.17", none)  # lights and siren on the way to hospital: not logged
    _nil(e, "eDisposition.18", none)
    _nil(e, "eDisposition.19", unknown)
    if report.patient is None and chosen is not None and response.destination_changed:
        _el(e, "eDisposition.20", "4220003")  # diversion: the first-named hospital was changed
    else:
        _nil(e, "eDisposition.20", none)
    _value(e, "eDisposition.21", "4221003" if hospital is not None else None, none)
    _nil(e, "eDisposition.22", none)
    _nil(e, "eDisposition.23", none)
    activation = _el(e, "eDisposition.HospitalTeamActivationGroup")
    _nil(activation, "eDisposition.24", none)
    _nil(activation, "eDisposition.25", none)
    _nil(e, "eDisposition.32", unknown)


def unit_disposition(response: UnitResponse) -> str:
    """eDisposition.27: patient contact made (the crew reached the scene), or cancelled before."""
    return "4227001" if response.reached_scene else "4227005"


def transport_disposition(record: IncidentRecord, response: UnitResponse) -> str:
    """eDisposition.30: this unit transported; another unit of the call did; or no transport."""
    if response.transported:
        return "4230001"
    if response.reached_scene and any(r.transported for _, r in record.responses):
        return "4230005"
    return "4230013"


def _outcome(pcr: ET.Element, nv: str) -> None:
    """eOutcome: the hospital's outcome data, linked later by the state, never by a CAD."""
    e = _el(pcr, "eOutcome")
    _nil(e, "eOutcome.01", nv)
    _nil(e, "eOutcome.02", nv)
    ed = _el(e, "eOutcome.EmergencyDepartmentProceduresGroup")
    _nil(ed, "eOutcome.09", nv)
    _nil(ed, "eOutcome.19", nv)
    _nil(e, "eOutcome.10", nv)
    _nil(e, "eOutcome.11", nv)
    hospital = _el(e, "eOutcome.HospitalProceduresGroup")
    _nil(hospital, "eOutcome.12", nv)
    _nil(hospital, "eOutcome.20", nv)
    _nil(e, "eOutcome.13", nv)
    _nil(e, "eOutcome.16", nv)
    _nil(e, "eOutcome.18", nv)


# --- the DEM data set ---------------------------------------------------------------------------


def dem_dataset(
    agency: Agency,
    stations: Iterable[Place],
    vehicles: Iterable[Vehicle],
    hospitals: Iterable[Place],
    *,
    at: datetime,
    zone: tzinfo,
) -> bytes:
    """The agency, its stations, vehicles and receiving hospitals as a DEMDataSet.

    Minimal by design: what the dispatch system knows. The agency's licensure, procedures and
    medications (``dConfiguration``) are the medical director's to declare; a registry
    submission takes the agency's own DEM file. The values here are the least a DEM needs.
    """
    root = ET.Element(_q("DEMDataSet"))
    report = _el(root, "DemographicReport", timeStamp=_time(at, zone))
    vehicles = list(vehicles)

    d = _el(report, "dAgency")
    _el(d, "dAgency.01", agency.state_id)
    _el(d, "dAgency.02", agency.number)
    _value(d, "dAgency.03", _text(agency.name, 100, 2), NOT_RECORDED)
    _el(d, "dAgency.04", agency.state)
    service = _group(d, "dAgency.AgencyServiceGroup", f"{agency.number}/service")
    _el(service, "dAgency.05", agency.state)
    _el(service, "dAgency.06", agency.county)
    _nil(service, "dAgency.07", NOT_RECORDED)
    _nil(service, "dAgency.08", NOT_RECORDED)
    _el(d, "dAgency.09", "9920001")  # 911 response (scene) with transport capability
    levels = {v.capability for v in vehicles}
    _el(d, "dAgency.11", CARE_LEVEL["ALS" if "ALS" in levels or not levels else "BLS"])
    _el(d, "dAgency.12", "1016003")  # non-volunteer
    _el(d, "dAgency.13", "9912003")  # governmental, non-fire
    _el(d, "dAgency.14", "1018003")  # other (e.g. government)
    _nil(d, "dAgency.25", NOT_APPLICABLE)
    _nil(d, "dAgency.26", NOT_APPLICABLE)

    c = _group(_el(report, "dConfiguration"), "dConfiguration.ConfigurationGroup",
               f"{agency.number}/configuration")  # fmt: skip
    _el(c, "dConfiguration.01", agency.state)
    care_levels = sorted({CARE_LEVEL.get(v.capability, "9917005") for v in vehicles} or {"9917007"})
    for level in care_levels:
        procedure = _group(c, "dConfiguration.ProcedureGroup", f"{agency.number}/procedure/{level}")
        _el(procedure, "dConfiguration.06", level)
        _el(procedure, "dConfiguration.07", "89666000")  # SNOMED CT: cardiopulmonary resuscitation
    for level in care_levels:
        medication = _group(
            c, "dConfiguration.MedicationGroup", f"{agency.number}/medication/{level}"
        )
        _el(medication, "dConfiguration.08", level)
        _el(medication, "dConfiguration.09", "7806", CodeType="9924003")  # RxNorm: oxygen
    _el(c, "dConfiguration.10", "9914075")  # general: universal patient care
    _el(c, "dConfiguration.13", "1213003")  # EMD for all of the service area (protocol triage)
    for vehicle in vehicles:
        _el(c, "dConfiguration.16", vehicle.call_sign)
    _el(c, "dConfiguration.17", agency.software_name)

    stations = list(stations)
    if stations:
        location = _el(report, "dLocation")
        for station in stations:
            group = _group(
                location, "dLocation.LocationGroup", f"{agency.number}/station/{station.id}"
            )
            _el(group, "dLocation.01", "1301005")  # EMS station
            _el(group, "dLocation.02", _text(station.name, 100) or f"Station {station.id}")
            _el(group, "dLocation.03", str(station.id))
            _el(group, "dLocation.04", _gps(station.lat, station.lon))
    if vehicles:
        fleet = _el(report, "dVehicle")
        for vehicle in vehicles:
            group = _group(fleet, "dVehicle.VehicleGroup", f"{agency.number}/vehicle/{vehicle.id}")
            _el(group, "dVehicle.01", str(vehicle.id))
            _el(group, "dVehicle.03", vehicle.call_sign)
            _el(group, "dVehicle.04", "1404001")  # ambulance
            levels_group = _group(group, "dVehicle.VehicleCertificationLevelsGroup",
                                  f"{agency.number}/vehicle/{vehicle.id}/level")  # fmt: skip
            _el(levels_group, "dVehicle.05", CARE_LEVEL.get(vehicle.capability, "9917005"))
    hospitals = list(hospitals)
    if hospitals:
        facility = _group(_el(report, "dFacility"), "dFacilityGroup", f"{agency.number}/hospitals")
        _el(facility, "dFacility.01", "1701005")  # hospital
        for hospital in hospitals:
            group = _group(facility, "dFacility.FacilityGroup",
                           f"{agency.number}/hospital/{hospital.id}")  # fmt: skip
            _el(group, "dFacility.02", _text(hospital.name, 100) or f"Hospital {hospital.id}")
            _el(group, "dFacility.03", f"H{hospital.id:02d}")
            _el(group, "dFacility.13", _gps(hospital.lat, hospital.lon))
    return _serialise(root)
