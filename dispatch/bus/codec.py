"""Wire format of an event record between processes (JSON), kept in one place."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from dispatch.services.ports import EventRecord


def encode(record: EventRecord) -> str:
    return json.dumps(
        {
            "seq": record.seq,
            "name": record.name,
            "occurred_at": record.occurred_at.isoformat(),
            "actor": record.actor,
            "data": record.data,
            "incident_id": record.incident_id,
            "unit_id": record.unit_id,
        },
        separators=(",", ":"),
    )


def decode(raw: str | bytes) -> EventRecord:
    obj: dict[str, Any] = json.loads(raw)
    return EventRecord(
        seq=int(obj["seq"]),
        name=str(obj["name"]),
        occurred_at=datetime.fromisoformat(obj["occurred_at"]),
        actor=str(obj["actor"]),
        data=obj["data"],
        incident_id=obj.get("incident_id"),
        unit_id=obj.get("unit_id"),
    )
