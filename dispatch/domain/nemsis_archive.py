"""A NEMSIS export as one ZIP: the agency's DEMDataSet, one EMSDataSet per incident, a manifest.

Why one file per incident: a registry takes, and refuses, records one file at a time, and a
supervisor who finds a problem in one call should not have to cut it out of a month's file.
The manifest says what the window held and what was left out (units still working a call: their
record cannot be complete without eTimes.13, back in service, which the XSD requires). For a
mass-casualty incident it also accounts for the patients: how many have a PCR, and how many,
by status and triage category, have none (released or dead on scene, still waiting, or on a
unit still under way), so the agency can match them against its crews' own ePCRs.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from dispatch.domain import nemsis_xml as nx

VERSION = "3.5.1.250403CP1"  # the NEMSIS build the XML follows


@dataclass(frozen=True, slots=True)
class ExportWindow:
    """What an export covers: incidents received in [start, end), and what it holds."""

    start: datetime
    end: datetime
    records: Sequence[nx.IncidentRecord]
    open_responses: int  # unit responses still under way, left out
    vehicles: Sequence[nx.Vehicle]
    stations: Sequence[nx.Place]
    hospitals: Mapping[int, nx.Place]

    @property
    def reports(self) -> int:
        """PatientCareReports the export holds (one per unit response, or per MCI patient)."""
        return sum(len(nx.care_reports(r)) for r in self.records)


def file_name(record: nx.IncidentRecord) -> str:
    return f"EMS-{record.incident.number}.xml"


def build(window: ExportWindow, agency: nx.Agency, *, at: datetime, zone: tzinfo) -> bytes:
    """The ZIP's bytes: ``DEM.xml``, ``EMS-<call number>.xml`` per incident, ``manifest.json``.

    Incidents whose units are all still working are left out (none of their reports is done).
    """
    buffer = io.BytesIO()
    written: list[dict[str, object]] = []
    reports = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "DEM.xml",
            nx.dem_dataset(
                agency,
                window.stations,
                window.vehicles,
                window.hospitals.values(),
                at=at,
                zone=zone,
            ),
        )
        for record in window.records:
            if not record.responses:
                continue
            name = file_name(record)
            archive.writestr(name, nx.ems_dataset(record, agency, window.hospitals, zone=zone))
            pcrs = nx.care_reports(record)
            reports += len(pcrs)
            entry: dict[str, object] = {
                "file": name,
                "incident": record.incident.number,
                "status": record.incident.status.value,
                "reports": [nx.report_number(record.incident, p.response, p.patient) for p in pcrs],
            }
            summary = nx.mci_summary(record)
            if summary is not None:
                entry["mci"] = {
                    "patients_reported": summary.reported,
                    "transported_not_reported": summary.not_reported,
                    "without_transport": summary.without_transport,
                }
            written.append(entry)
        manifest = {
            "nemsis_version": VERSION,
            "agency": agency.number,
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "created_at": at.isoformat(),
            "incidents": len(written),
            "patient_care_reports": reports,
            "responses_still_open": window.open_responses,
            "files": written,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return buffer.getvalue()
