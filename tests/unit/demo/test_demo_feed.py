"""Parsing console messages and building socket URLs (the pure parts of the feed)."""

from __future__ import annotations

from dispatch.demo.feed import parse_message, subprotocols, ws_url

UNIT = {"id": 3, "call_sign": "A03", "status": "dispatched", "incident_id": 7}
INCIDENT = {"id": 7, "number": "2026-000007", "status": "dispatched", "priority": 1}


def test_snapshot_carries_all_units_and_incidents() -> None:
    update = parse_message({"type": "snapshot", "seq": 41, "units": [UNIT], "incidents": []})
    assert update is not None
    assert update.name == "snapshot" and update.actor is None
    assert update.units == (UNIT,) and update.incidents == ()


def test_event_carries_its_unit_and_incident() -> None:
    message = {
        "type": "event",
        "seq": 42,
        "name": "UnitAssigned",
        "actor": "disp1",
        "occurred_at": "2026-11-26T22:40:00+00:00",
        "data": {"unit": UNIT, "incident": INCIDENT, "eta_s": 300},
    }
    update = parse_message(message)
    assert update is not None
    assert (update.name, update.actor) == ("UnitAssigned", "disp1")
    assert update.units == (UNIT,) and update.incidents == (INCIDENT,)


def test_event_without_unit_and_other_messages() -> None:
    update = parse_message({"type": "event", "seq": 5, "name": "CallReceived", "data": {}})
    assert update is not None and update.units == () and update.incidents == ()
    assert parse_message({"type": "pong"}) is None
    assert parse_message({"type": "error", "code": "invalid-json"}) is None


def test_ws_url_from_http_base_carries_no_token() -> None:
    assert ws_url("http://127.0.0.1:8000/", "/ws/console", None) == "ws://127.0.0.1:8000/ws/console"
    assert ws_url("https://gh.example", "/ws/console", 42) == "wss://gh.example/ws/console?since=42"


def test_the_token_is_offered_as_a_subprotocol() -> None:
    assert subprotocols("a.b-c_d") == ["goldenhour.v1", "bearer.a.b-c_d"]
