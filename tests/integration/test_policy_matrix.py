"""Every operation of /openapi.json, and every socket, called by every kind of login, against the
policy table (``dispatch.api.policy``).

The floor has one call in progress: A01 is on it and taking the patient to Central Hospital, A02 is
on another call going to Harbour Hospital. Then each operation is tried by nobody, the dispatcher,
the supervisor, A01's crew (its unit, its incident), A02's crew (someone else's), Central's ED (the
patient is coming to it), Harbour's ED (it is not), the admin, the auditor and the PBX connector's
telephony login. A cell the table refuses must answer 401 (nobody) or 403 with the scope's problem
code; a cell it allows must answer neither (nor a 5xx). The observed matrix is written to
test-artifacts/policy-matrix.md.

A route in the document without a row in the table fails here, and stops ``create_app`` before.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from pydantic import SecretStr

from dispatch.api import policy
from dispatch.api.app import create_app
from dispatch.api.auth import Role
from dispatch.api.policy import Rule, Scope
from dispatch.config import Settings
from dispatch.domain.limits import MAX_ID
from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, connect_socket, login

#: The account the admin operations act on (created by the test: no other login depends on it).
MATRIX_SUBJECT = "matrix-subject"

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "test-artifacts" / "policy-matrix.md"

#: What a login outside a scope is told (the spec, written out rather than read from the code).
SCOPE_CODES = {
    Scope.OWN_UNIT: "not-your-unit",
    Scope.OWN_INCIDENT: "not-your-incident",
    Scope.ROUTED_TO_OWN_HOSPITAL: "not-routed-to-you",
    Scope.OWN_HOSPITAL: "not-your-hospital",
}


@dataclass(frozen=True)
class Login:
    """One column of the matrix, and how it stands to the objects every call names."""

    label: str
    username: str | None  # None: no token at all
    role: Role | None
    unit: bool = False  # the unit in the path is its own
    incident: bool = False  # its unit works the incident in the path
    routed: bool = False  # the incident's patient is coming to its hospital
    hospital: bool = False  # the hospital in the path is its own

    def may(self, rule: Rule, *, socket: bool) -> tuple[bool, str]:
        """(allowed, the problem code when not) by the table and this login's relations."""
        if rule.public:
            return True, ""
        if self.role is None:
            return False, "not-authenticated"
        scope = rule.grants.get(self.role)
        if scope is None:
            return False, "forbidden"
        if socket or scope is Scope.ANY:  # a socket binds to the login's own unit or hospital
            return True, ""
        held = {
            Scope.OWN_UNIT: self.unit,
            Scope.OWN_INCIDENT: self.incident,
            Scope.ROUTED_TO_OWN_HOSPITAL: self.routed,
            Scope.OWN_HOSPITAL: self.hospital,
        }[scope]
        return held, "" if held else SCOPE_CODES[scope]


@dataclass
class Floor:
    """The objects of the story, rebuilt whenever an allowed call (a cancel, a divert, ...)
    changed them."""

    unit: int  # A01
    other_unit: int  # A02
    spare_unit: int  # A03, free
    incident: int  # A01's, its patient going to Central
    other_incident: int  # A02's, going to Harbour
    order: int  # A01's dispatch order
    hospital: int  # Central
    other_hospital: int  # Harbour
    station: int
    point: list[float]


async def _set_the_floor(
    http: httpx.AsyncClient, db: asyncpg.Connection, dispatcher: dict[str, str]
) -> Floor:
    await db.execute(
        "UPDATE units u SET status = 'available', incident_id = NULL, destination_hospital_id = "
        "NULL, status_at = now(), position = s.location, position_at = now() "
        "FROM stations s WHERE s.id = u.station_id"
    )
    await db.execute(
        "UPDATE incidents SET status = 'closed', closed_at = now() WHERE status <> 'closed'"
    )
    await db.execute("UPDATE hospitals SET ed_status = 'open'")
    units = {
        u["call_sign"]: u["id"]
        for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    hospitals = {
        h["name"]: h["id"] for h in (await http.get("/api/v1/hospitals", headers=dispatcher)).json()
    }
    stations = (await http.get("/api/v1/stations", headers=dispatcher)).json()
    point = await a_point_on_a_road(http, 5)
    calls = []
    for call_sign, hospital in (
        ("A01", "Central Hospital (demo)"),
        ("A02", "Harbour Hospital (demo)"),
    ):
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={"location": point, "complaint": "fall from a ladder", "priority": 2},
        )
        assert r.status_code == 201, r.text
        r = await http.post(
            f"/api/v1/incidents/{r.json()['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": units[call_sign]},
        )
        assert r.status_code == 201, r.text
        calls.append(r.json())
        r = await http.post(
            f"/api/v1/units/{units[call_sign]}/destination",
            headers=dispatcher,
            json={"hospital_id": hospitals[hospital]},
        )
        assert r.status_code == 200, r.text
    return Floor(
        unit=units["A01"],
        other_unit=units["A02"],
        spare_unit=units["A03"],
        incident=calls[0]["incident"]["id"],
        other_incident=calls[1]["incident"]["id"],
        order=calls[0]["order_id"],
        hospital=hospitals["Central Hospital (demo)"],
        other_hospital=hospitals["Harbour Hospital (demo)"],
        station=stations[0]["id"],
        point=point,
    )


async def _still_set(db: asyncpg.Connection, floor: Floor) -> bool:
    rows = await db.fetch(
        "SELECT id, incident_id, destination_hospital_id FROM units WHERE id = ANY($1::bigint[])",
        [floor.unit, floor.other_unit],
    )
    held = {r["id"]: (r["incident_id"], r["destination_hospital_id"]) for r in rows}
    return held == {
        floor.unit: (floor.incident, floor.hospital),
        floor.other_unit: (floor.other_incident, floor.other_hospital),
    }


def _request(key: str, floor: Floor) -> dict[str, Any]:
    """httpx arguments for one operation on the story's objects (valid, so an allowed call
    reaches the route itself)."""
    method, template = key.split(" ", 1)
    path = template.format(
        incident_id=floor.incident,
        unit_id=floor.unit,
        hospital_id=floor.hospital,
        order_id=floor.order,
        username=MATRIX_SUBJECT,
        call_id=1,  # a phone line; allowed cells may answer 404 or 409, never 401/403
        role="staging",  # an MCI command role
        tag="M1",  # an MCI patient's triage tag
        # blood: ids nothing uses (allowed cells answer 404), so no story's stock or jobs move
        bank_id=MAX_ID,
        request_id=MAX_ID,
        job_id=MAX_ID,
        signal_id=MAX_ID,  # a public-health signal nothing raised (allowed cells answer 404)
    )
    lon, lat = floor.point
    queries: dict[str, dict[str, Any]] = {
        "GET /api/v1/geocode": {"q": "street"},
        "GET /api/v1/reverse": {"lon": lon, "lat": lat},
        "GET /api/v1/route": {"from": f"{lon},{lat}", "to": f"{lon + 0.001},{lat}"},
        "GET /api/v1/surveillance/counts": {"from": "2001-01-01", "to": "2001-01-02"},
    }
    bodies: dict[str, Any] = {
        "POST /api/v1/incidents": {
            "location": floor.point,
            "complaint": "chest pain",
            "priority": 3,
        },
        "POST /api/v1/incidents/{incident_id}/assignments": {"unit_id": floor.spare_unit},
        "POST /api/v1/incidents/{incident_id}/cancel": {"reason": "caller rang back: no patient"},
        "POST /api/v1/incidents/{incident_id}/notes": {"text": "gate code 4711"},
        "POST /api/v1/incidents/{incident_id}/reassign": {
            "from_unit_id": floor.unit,
            "to_unit_id": floor.spare_unit,
            "reason": "closer unit",
        },
        "POST /api/v1/incidents/{incident_id}/triage": {"complaint_code": "stroke", "answers": {}},
        "POST /api/v1/incidents/{incident_id}/infectious": {
            "infectious": True,
            "reason": "crew: fever 39.5 and cough",
        },
        "POST /api/v1/incidents/{incident_id}/calls": {"complaint": "a neighbour calls too"},
        "POST /api/v1/incidents/{incident_id}/times": {
            "unit_id": floor.unit,
            "element": "eTimes.04",
            "at": datetime.now(UTC).isoformat(),
            "reason": "the crew confirmed by radio",
        },
        "POST /api/v1/intake/check": {"location": floor.point, "complaint": "fall"},
        # a mass-casualty incident on A01's call, A01 in command (so its crew is an officer)
        "POST /api/v1/incidents/{incident_id}/mci": {
            "patients": 12,
            "incident_command_unit_id": floor.unit,
        },
        "POST /api/v1/incidents/{incident_id}/mci/patients": {"tag": "M1", "category": "minor"},
        "POST /api/v1/incidents/{incident_id}/mci/transports": {
            "unit_id": floor.unit,
            "hospital_id": floor.hospital,
            "patients": ["M1"],
        },
        "POST /api/v1/triage/evaluate": {"complaint_code": "stroke", "answers": {}},
        # emergency blood supply: cryo only, which no blood story stocks or asks for
        "POST /api/v1/blood/banks": {
            "code": "MATRIX",
            "name": "Matrix blood bank",
            "location": floor.point,
        },
        "PUT /api/v1/blood/banks/{bank_id}/stock": {
            "lot": "MX-1",
            "product": "cryo",
            "group": "B+",
            "units": 1,
            "expires_at": "2099-01-01T00:00:00+00:00",
        },
        "POST /api/v1/blood/stock/import": {
            "csv": "bank,lot,product,group,units,expires_at\nMATRIX,MX-2,cryo,B+,1,2099-01-01\n"
        },
        "PUT /api/v1/blood/couriers/{unit_id}": {"cool": 4, "frozen": 4, "ambient": 2},
        "POST /api/v1/blood/hospitals/{hospital_id}/requests": {
            "product": "cryo",
            "group": "B+",
            "units": 1,
            "urgency": "routine",
        },
        "POST /api/v1/blood/requests/{request_id}/jobs": {"unit_id": floor.unit},
        "POST /api/v1/blood/requests/{request_id}/ambulance": {"unit_id": floor.unit},
        "POST /api/v1/blood/jobs/{job_id}/reassign": {"unit_id": floor.unit, "reason": "matrix"},
        "POST /api/v1/blood/hospitals/{hospital_id}/jobs/{job_id}/handover": {
            "received_by": "Matrix nurse"
        },
        # the public-health watch: a note for a signal nothing raised, and counts of a day in 2001
        "POST /api/v1/surveillance/signals/{signal_id}/acknowledge": {"note": "matrix: checked"},
        "POST /api/v1/surveillance/run": {},
        "POST /api/v1/surveillance/history": {
            "csv": "day,syndrome,area,calls\n2001-01-01,heat,871f1d489ffffff,1\n"
        },
        "POST /api/v1/telephony/calls": {"line": "matrix-trunk", "caller_number": "110"},
        "POST /api/v1/telephony/calls/{call_id}/answer": {},
        "POST /api/v1/telephony/calls/{call_id}/end": {},
        "POST /api/v1/units/{unit_id}/status": {"status": "en_route"},
        "POST /api/v1/units/{unit_id}/position": {"position": floor.point},
        "POST /api/v1/units/{unit_id}/divert": {
            "to_incident_id": floor.other_incident,
            "reason": "higher priority",
        },
        "POST /api/v1/units/{unit_id}/destination": {"hospital_id": floor.hospital},
        "POST /api/v1/units/{unit_id}/relocate": {"station_id": floor.station},
        # A01 is fitted for isolation by the seed: setting it again changes nothing
        "PUT /api/v1/units/{unit_id}/isolation": {"isolation": True},
        "POST /api/v1/hospitals/{hospital_id}/status": {"ed_status": "open"},
        # a weak new password: refused (422) before the current one is even checked, so nobody's
        # password changes and no failed login is counted
        "POST /api/v1/auth/password": {"current_password": "wrong", "new_password": "short"},
        "POST /api/v1/admin/users": {
            "username": "matrix-created",
            "role": "dispatcher",
            "password": "a sturdy passphrase for the matrix",
        },
        "PATCH /api/v1/admin/users/{username}": {"active": True},
        "POST /api/v1/admin/users/{username}/password": {
            "password": "another sturdy passphrase, for a reset"
        },
    }
    args: dict[str, Any] = {"method": method, "url": path, "params": queries.get(key)}
    if key == "POST /api/v1/auth/token":
        args["data"] = {"username": "dispatcher", "password": "dispatcher"}
    elif key in bodies:
        args["json"] = bodies[key]
    elif method == "POST" and not key.endswith(
        ("/ack", "/logout", "/unlock", "/refresh", "/pickup")
    ):
        pytest.fail(f"{key}: give it a valid body in {__file__}")
    return args


async def _throwaway(http: httpx.AsyncClient, key: str, who: Login, args: dict[str, Any]) -> None:
    """Operations that end a session get one of their own, so the matrix's tokens live on: a
    logout gets a fresh login of the column's user, a renewal a fresh refresh token."""
    if key == "POST /api/v1/auth/logout" and who.username is not None:
        args["headers"] = await login(http, who.username)
    elif key == "POST /api/v1/auth/refresh":
        r = await http.post(
            "/api/v1/auth/token", data={"username": "auditor", "password": "auditor"}
        )
        args["json"] = {"refresh_token": r.json()["refresh_token"]}


async def _socket(server: ServerProcess, path: str, token: str | None) -> tuple[int, str]:
    """(status, what came first): 101 and the first message's type, or the refusal's status."""
    try:
        async with asyncio.timeout(15), connect_socket(f"{server.ws_url}{path}", token) as ws:
            return 101, json.loads(await ws.recv())["type"]
    except websockets.InvalidStatus as refused:
        return refused.response.status_code, ""


def _verdict(
    allowed: bool, code: str, status: int, body: dict[str, Any], *, socket: bool
) -> str | None:
    """Why the answer contradicts the table (None when it agrees)."""
    if allowed:
        if status in (401, 403) or status >= 500:
            return f"allowed by the table, answered {status} {body.get('code', '')}"
        return None
    if socket:  # a socket is refused before the handshake completes: HTTP 403, no body
        return None if status == 403 else f"refused by the table, answered {status}"
    want = 401 if code == "not-authenticated" else 403
    if status != want or body.get("code") != code:
        return f"refused by the table ({want} {code}), answered {status} {body.get('code', '')}"
    return None


async def test_every_operation_answers_every_role_as_the_table_says(
    http: httpx.AsyncClient, server: ServerProcess, database_url: str
) -> None:
    document = (await http.get("/openapi.json")).json()
    operations = [
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    ]
    unlisted = [op for op in operations if op not in policy.POLICY]
    assert not unlisted, f"operations without a row in dispatch.api.policy.POLICY: {unlisted}"
    sockets = [key for key in policy.POLICY if key.startswith("WS ")]

    dispatcher = await login(http, "dispatcher")
    db = await asyncpg.connect(database_url)
    try:
        floor = await _set_the_floor(http, db, dispatcher)
        logins = [
            Login("nobody", None, None),
            Login("dispatcher", "dispatcher", Role.DISPATCHER),
            Login("supervisor", "supervisor", Role.SUPERVISOR),
            Login("crew, own unit", "crew-a01", Role.CREW, unit=True, incident=True),
            Login("crew, other unit", "crew-a02", Role.CREW),
            Login(
                "hospital, routed",
                f"hospital-{floor.hospital}",
                Role.HOSPITAL,
                routed=True,
                hospital=True,
            ),
            Login("hospital, not routed", f"hospital-{floor.other_hospital}", Role.HOSPITAL),
            Login("admin", "admin", Role.ADMIN),
            Login("auditor", "auditor", Role.AUDITOR),
            Login("telephony", "telephony", Role.TELEPHONY),  # the PBX connector's machine login
        ]
        tokens: dict[str, str | None] = {}
        for who in logins:
            if who.username is not None:
                tokens[who.label] = (await login(http, who.username))["Authorization"]
        r = await http.post(
            "/api/v1/admin/users",
            headers={"Authorization": tokens["admin"] or ""},
            json={
                "username": MATRIX_SUBJECT,
                "role": "auditor",
                "password": "the matrix subject's first passphrase",
            },
        )
        assert r.status_code == 201, r.text
        observed: dict[str, dict[str, str]] = {}
        wrong: list[str] = []
        for key in [*operations, *sockets]:
            rule = policy.POLICY[key]
            observed[key] = {}
            for who in logins:
                allowed, code = who.may(rule, socket=key in sockets)
                token = tokens.get(who.label)
                if key in sockets:
                    status, first = await _socket(
                        server, key.removeprefix("WS "), token and token.removeprefix("Bearer ")
                    )
                    body: dict[str, Any] = {}
                    cell = f"{status} {first}".strip()
                else:
                    if not await _still_set(db, floor):
                        floor = await _set_the_floor(http, db, dispatcher)
                    args = {"headers": {"Authorization": token} if token else {}}
                    args |= _request(key, floor)
                    await _throwaway(http, key, who, args)
                    r = await http.request(**args)
                    status = r.status_code
                    is_problem = r.headers.get("content-type", "").startswith("application/problem")
                    body = r.json() if is_problem else {}
                    cell = f"{status} {body.get('code', '')}".strip()
                observed[key][who.label] = ("✓ " if status not in (401, 403) else "✗ ") + cell
                why = _verdict(allowed, code, status, body, socket=key in sockets)
                if why is not None:
                    wrong.append(f"{key} as {who.label}: {why}")
    finally:
        await db.close()

    cases = sum(len(row) for row in observed.values())
    _write_matrix(observed, [w.label for w in logins], cases)
    assert cases == len([*operations, *sockets]) * len(logins) >= 45 * 9
    assert not wrong, f"{len(wrong)} of {cases} cells contradict the policy:\n" + "\n".join(wrong)


def _write_matrix(observed: dict[str, dict[str, str]], columns: list[str], cases: int) -> None:
    lines = [
        "# Role matrix: every operation called by every login",
        "",
        "Written by tests/integration/test_policy_matrix.py.",
        "",
        f"{len(observed)} operations x {len(columns)} logins = {cases} calls; ✓ let through "
        "(any answer but 401/403), ✗ refused, with the status and problem code seen.",
        "",
        "| operation | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
        *(
            f"| `{key}` | " + " | ".join(row[c] for c in columns) + " |"
            for key, row in observed.items()
        ),
        "",
        "## The table these calls were checked against (dispatch.api.policy)",
        "",
        policy.as_markdown(),
    ]
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text("\n".join(lines), encoding="utf-8")
    print("\n" + "\n".join(lines))


# --- the table and the app cannot drift apart ---------------------------------------------------


def _settings() -> Settings:
    return Settings(secret_key=SecretStr(secrets.token_hex(32)))


def _refusal_to_start(monkeypatch: pytest.MonkeyPatch, rows: dict[str, Rule | None]) -> str:
    """Why ``create_app`` will not start with the table changed by ``rows`` (None: removed)."""
    table = {**policy.POLICY, **rows}
    monkeypatch.setattr(policy, "POLICY", {k: v for k, v in table.items() if v is not None})
    with pytest.raises(RuntimeError) as refused:
        create_app(_settings())
    return str(refused.value)


def test_a_route_without_a_row_stops_the_server_from_starting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    why = _refusal_to_start(monkeypatch, {"GET /api/v1/config": None})
    assert "GET /api/v1/config: no entry" in why


def test_a_row_for_no_route_or_a_scope_its_path_cannot_check_stops_it_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    why = _refusal_to_start(monkeypatch, {"GET /api/v1/nowhere": policy.FLOOR})
    assert "GET /api/v1/nowhere: entry names no route" in why
    crew_on_config = policy.allow(crew=policy.OWN_UNIT)
    why = _refusal_to_start(monkeypatch, {"GET /api/v1/config": crew_on_config})
    assert "crew has scope own_unit but no {unit_id}" in why


def test_every_refusal_is_documented_in_openapi() -> None:
    document = create_app(_settings()).openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            rule = policy.POLICY[f"{method.upper()} {path}"]
            documented = set(operation["responses"])
            if rule.public:  # (logging in may still answer 401: wrong password)
                # 403 only for an address outside the monitoring networks (/metrics)
                assert ("403" in documented) == rule.networks, (method, path)
                continue
            assert "401" in documented, (method, path)
            assert ("403" in documented) == rule.refuses_someone(), (method, path)
    assert "not-routed-to-you" in json.dumps(document)


def test_the_roles_section_of_the_api_docs_is_the_table_in_code() -> None:
    docs = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert policy.as_markdown() in docs, (
        "docs/api.md: paste dispatch.api.policy.as_markdown() into the Roles section"
    )
