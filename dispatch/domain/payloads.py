"""The JSON payload of each domain object, shared by API answers and event payloads.

Consoles upsert what events carry, so events and REST answers must agree field for field; having a
single function per aggregate guarantees it. (Read models, which query storage, are in
``dispatch.store``; these functions only shape objects already loaded.) The API's response models
in ``dispatch.api.schemas`` describe these dicts, and FastAPI checks every answer against them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dispatch.domain import nemsis, unit_times
from dispatch.domain.hospitals import Hospital
from dispatch.domain.model import Caller, Incident, Unit
from dispatch.domain.unit_times import UnitTimes


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def unit_view(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "call_sign": unit.call_sign,
        "capability": unit.capability.value,
        "status": unit.status.value,
        "status_at": _iso(unit.status_at),
        "position": None if unit.position is None else unit.position.as_lonlat(),
        "position_at": _iso(unit.position_at),
        "station_id": unit.station_id,
        "incident_id": unit.incident_id,
        "order_id": unit.order_id,
        "acknowledged_at": _iso(unit.order_acknowledged_at),
        "destination_hospital_id": unit.destination_hospital_id,
        "in_quarters": unit.in_quarters,
        "status_flags": list(unit.status_flags),
        "isolation": unit.isolation,
        "decontamination_until": _iso(unit.decontamination_until),
    }


def position_view(unit: Unit) -> dict[str, Any]:
    """The small message a moving unit produces many times a minute."""
    return {
        "id": unit.id,
        "position": None if unit.position is None else unit.position.as_lonlat(),
        "position_at": _iso(unit.position_at),
    }


def incident_view(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "number": incident.number,
        "location": incident.location.as_lonlat(),
        "address": incident.address,
        "complaint": incident.complaint,
        "priority": incident.priority,
        "status": incident.status.value,
        "unit_ids": list(incident.unit_ids),
        "received_at": _iso(incident.received_at),
        "dispatched_at": _iso(incident.dispatched_at),
        "en_route_at": _iso(incident.en_route_at),
        "on_scene_at": _iso(incident.on_scene_at),
        "transporting_at": _iso(incident.transporting_at),
        "at_hospital_at": _iso(incident.at_hospital_at),
        "closed_at": _iso(incident.closed_at),
        "cancelled_at": _iso(incident.cancelled_at),
        "cancel_reason": incident.cancel_reason,
        "address_verified": incident.address_verified,
        "complaint_code": incident.complaint_code,
        "determinant": incident.determinant,
        "determinant_code": incident.determinant_code,
        "protocol_version": incident.protocol_version,
        "needs": sorted(incident.needs),
        "hospital_capability": incident.hospital_capability,
        "infectious": incident.infectious,
        "infectious_reason": incident.infectious_reason,
        "protection": incident.protection,
        "caller": None if incident.caller is None else caller_view(incident.caller),
    }


def caller_view(caller: Caller) -> dict[str, Any]:
    return {
        "number": caller.number,
        "location": None if caller.location is None else caller.location.as_lonlat(),
        "accuracy_m": caller.accuracy_m,
        "crs": caller.crs,
        "name": caller.name,
        "callback": caller.callback,
    }


#: Keys that carry the caller's data: the ``caller`` object of an incident (number, where the
#: phone network placed the caller, and whatever a later call-taker field adds to it) and the
#: number a linked call's event records.
CALLER_KEYS = frozenset({"caller", "caller_number"})


def without_caller(payload: Any) -> Any:
    """A copy of ``payload`` (an incident, an assignment, an event or its data, a list of them)
    with the caller's data blanked wherever it is, keeping the shape clients and schemas expect.

    The whole tree is walked rather than known places cleared, so a payload that grows a nested
    incident later is covered without anyone remembering to come back here.
    """
    if isinstance(payload, dict):
        return {k: None if k in CALLER_KEYS else without_caller(v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [without_caller(v) for v in payload]
    return payload


def assignment_view(unit: Unit, incident: Incident, route: Any | None) -> dict[str, Any]:
    """What a crew is sent to: the order, the incident and a road route from where it is now.

    ``route`` is anything with ``as_geojson()``, ``duration_s``, ``distance_m`` and ``steps``.
    """
    return {
        "order_id": unit.order_id,
        "acknowledged_at": _iso(unit.order_acknowledged_at),
        "incident": incident_view(incident),
        "unit": unit_view(unit),
        "eta_s": None if route is None else round(route.duration_s, 1),
        "distance_m": None if route is None else round(route.distance_m, 1),
        "route": None if route is None else route.as_geojson(),
        "steps": [] if route is None else list(route.steps),
        # what the crew must wear, on the order itself so no one has to open the incident
        "protection": incident.protection,
    }


#: Which NEMSIS v3.5 eTimes moment each incident timestamp records (first unit, whole incident).
NEMSIS_TIMES: tuple[tuple[str, str], ...] = (
    ("received_at", "psap_call"),  # eTimes.01
    ("dispatched_at", "unit_notified"),  # eTimes.03
    ("en_route_at", "en_route"),  # eTimes.05
    ("on_scene_at", "on_scene"),  # eTimes.06
    ("transporting_at", "left_scene"),  # eTimes.09
    ("at_hospital_at", "at_destination"),  # eTimes.11
    ("closed_at", "back_in_service"),  # eTimes.13 (last unit)
    ("cancelled_at", "cancelled"),  # eTimes.14
)


def incident_times(incident: Incident) -> dict[str, datetime]:
    """The incident's recorded moments keyed by NEMSIS stamp name (only those that happened)."""
    return {
        stamp: getattr(incident, field)
        for field, stamp in NEMSIS_TIMES
        if getattr(incident, field) is not None
    }


def hospital_view(hospital: Hospital) -> dict[str, Any]:
    return {
        "id": hospital.id,
        "name": hospital.name,
        "location": hospital.location.as_lonlat(),
        "capabilities": sorted(hospital.capabilities),
        "ed_status": hospital.ed_status.value,
        "beds_available": hospital.beds_available,
        "capability_beds": dict(sorted(hospital.capability_beds.items())),
        "status_at": _iso(hospital.status_at),
    }


def unit_times_view(incident: Incident, times: UnitTimes, *, first: bool) -> dict[str, Any]:
    """One responding unit's own NEMSIS times and NASEMSO intervals (``GET .../timeline``)."""
    return {
        "order_id": times.order_id,
        "unit_id": times.unit_id,
        "call_sign": times.call_sign,
        "first_arriving": first,
        "times": [
            {
                **nemsis_row_view(row),
                "flags": list(times.flags.get(row.stamp, ())),
            }
            for row in nemsis.timeline(unit_times.times_with_call(incident, times))
            if row.stamp is not nemsis.Stamp.PSAP_CALL
        ],
        "intervals": intervals_view(unit_times.unit_intervals(incident, times)),
    }


def nemsis_row_view(row: nemsis.TimelineRow) -> dict[str, Any]:
    return {
        "element": row.element.number,
        "name": row.element.name,
        "label": {"en": row.element.label.en, "zh": row.element.label.zh},
        "at": row.at.isoformat(),
        "since_call_s": row.since_call_s,
        "flagged": None if row.flagged is None else row.flagged.value,
    }


def intervals_view(intervals: list[nemsis.Interval]) -> list[dict[str, Any]]:
    return [
        {
            "key": i.key,
            "label": {"en": i.label.en, "zh": i.label.zh},
            "start": nemsis.ELEMENTS[i.start].number,
            "end": nemsis.ELEMENTS[i.end].number,
            "seconds": round(i.seconds, 3),
        }
        for i in intervals
    ]
