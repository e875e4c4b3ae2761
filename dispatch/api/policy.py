"""Who may do what, and on which objects: the one authorization table of the API and its sockets.

Every operation (``METHOD /path`` exactly as in ``/openapi.json``; ``WS /path`` for a socket) maps
each role to the scope of objects it may act on; a role that is absent is refused (403
``forbidden``). ``dispatch.api.deps.authorize`` enforces the table on every route and socket, and
``create_app`` refuses to start while a route has no entry here (or an entry names no route), so
adding a route means deciding, in this file, who may call it.

Scopes, and the problem ``code`` a login outside the scope gets (403):

- ``any``: every object.
- ``own_unit``: a crew acting for the unit its login is bound to (``{unit_id}`` in the path; on a
  socket, the session serves that unit only): ``not-your-unit``.
- ``own_incident``: the incident the crew's unit is assigned to now: ``not-your-incident``.
- ``routed_to_own_hospital``: an incident whose patient a unit is taking to the hospital the login
  is bound to (the unit's current destination): ``not-routed-to-you``.
- ``own_hospital``: the hospital the login is bound to: ``not-your-hospital``.

Separation of duties (issue 12, the "three officers" of MLPS 2.0 level 3, and what a PSAP expects):
the ``admin`` runs accounts and the fleet's reference data and sees no incident; the ``auditor``
reads the audit trail and the review and changes nothing; the supervisor runs the floor and the
review; dispatchers run calls and units; crews act for their own unit; a hospital for its ED.

Caller data (the number, what the phone network said about where the caller is) is a second rule,
on payloads rather than operations: see :func:`may_see_caller`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import BaseRoute

from dispatch.api.auth import Principal, Role
from dispatch.api.problems import Problem
from dispatch.api.schemas.problems import problems
from dispatch.domain.payloads import without_caller
from dispatch.store.reads import ReadModel


class Scope(StrEnum):
    ANY = "any"
    OWN_UNIT = "own_unit"
    OWN_INCIDENT = "own_incident"
    ROUTED_TO_OWN_HOSPITAL = "routed_to_own_hospital"
    OWN_HOSPITAL = "own_hospital"


#: The order roles are shown in, from the floor outwards.
COLUMNS = (
    Role.DISPATCHER,
    Role.SUPERVISOR,
    Role.CREW,
    Role.HOSPITAL,
    Role.ADMIN,
    Role.AUDITOR,
    Role.TELEPHONY,
)

ANY = Scope.ANY
OWN_UNIT = Scope.OWN_UNIT
OWN_INCIDENT = Scope.OWN_INCIDENT
ROUTED = Scope.ROUTED_TO_OWN_HOSPITAL
OWN_HOSPITAL = Scope.OWN_HOSPITAL

#: The path parameter naming the object a scope is about (absent on sockets: the login's own).
SCOPE_PARAMETER: dict[Scope, str] = {
    OWN_UNIT: "unit_id",
    OWN_INCIDENT: "incident_id",
    ROUTED: "incident_id",
    OWN_HOSPITAL: "hospital_id",
}

#: The 403 problem code of a login whose role may call the operation, but not on this object.
REFUSAL_CODE: dict[Scope, str] = {
    OWN_UNIT: "not-your-unit",
    OWN_INCIDENT: "not-your-incident",
    ROUTED: "not-routed-to-you",
    OWN_HOSPITAL: "not-your-hospital",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One operation's row: each role's scope; ``public`` operations need no login at all."""

    grants: Mapping[Role, Scope] = field(default_factory=dict)
    public: bool = False
    #: No login, but only from the monitoring networks (``GOLDENHOUR_METRICS_NETWORKS``, by
    #: default loopback): anyone else gets 403 ``network-not-allowed``. For ``/metrics``, which
    #: carries no personal or incident data but does show the centre's load and fleet activity.
    networks: bool = False
    #: Also for a login that must still change its password (seeded, created or reset
    #: accounts); every other operation answers it 403 ``password-change-required``.
    before_password_change: bool = False

    def refuses_someone(self) -> bool:
        """True when some login can get a 403 here (documented as such in ``/openapi.json``)."""
        return not self.public and (
            not self.before_password_change
            or set(self.grants) != set(Role)
            or any(s is not ANY for s in self.grants.values())
        )


def allow(
    *,
    dispatcher: Scope | None = None,
    supervisor: Scope | None = None,
    crew: Scope | None = None,
    hospital: Scope | None = None,
    admin: Scope | None = None,
    auditor: Scope | None = None,
    telephony: Scope | None = None,
    before_password_change: bool = False,
) -> Rule:
    """A row of the table, one keyword per role (left out: refused)."""
    given = {
        Role.DISPATCHER: dispatcher,
        Role.SUPERVISOR: supervisor,
        Role.CREW: crew,
        Role.HOSPITAL: hospital,
        Role.ADMIN: admin,
        Role.AUDITOR: auditor,
        Role.TELEPHONY: telephony,
    }
    grants = {role: scope for role, scope in given.items() if scope is not None}
    return Rule(grants, before_password_change=before_password_change)


#: No login: the basemap (a paper map is public too), logging in, and the health and readiness
#: probes (no personal or incident data; they must work before anyone can log in, and a load
#: balancer or container engine asks them without one).
PUBLIC = Rule(public=True)
#: No login, from the monitoring networks only (a Prometheus server holds no user's password;
#: the operator names the networks it scrapes from). See ``Rule.networks``.
MONITORING = Rule(public=True, networks=True)
#: Reference data without personal or incident data, which every login's screen needs (the
#: telephony connector has no screen: it reports calls and nothing else).
EVERYONE = allow(dispatcher=ANY, supervisor=ANY, crew=ANY, hospital=ANY, admin=ANY, auditor=ANY)
#: What a login does about itself: who am I, log out, choose a new password. Also before the
#: forced change of a password (the only other thing such a login may do is renew its token).
OWN_LOGIN = allow(
    dispatcher=ANY,
    supervisor=ANY,
    crew=ANY,
    hospital=ANY,
    admin=ANY,
    auditor=ANY,
    telephony=ANY,  # a connector's password must be changeable too (forced at first login)
    before_password_change=True,
)
#: User administration (create, deactivate, bind to a unit, reset a password, unlock): the admin
#: only. Separation of duties: whoever runs the floor or reads the trail does not make accounts.
ACCOUNTS = allow(admin=ANY)
#: Running calls and units: the dispatch floor (the supervisor can do all a dispatcher does).
FLOOR = allow(dispatcher=ANY, supervisor=ANY)
#: After the fact: incident review, KPIs, replay and export are the supervisor's and the auditor's
#: (not the dispatcher's: people do not grade their own shift).
REVIEW = allow(supervisor=ANY, auditor=ANY)
#: Map tools (address search, reverse geocoding, road routes) carry no incident data; the admin
#: uses them to place stations and hospitals, crews to find their way.
MAP_TOOLS = allow(dispatcher=ANY, supervisor=ANY, crew=ANY, admin=ANY)

API = "/api/v1"

POLICY: dict[str, Rule] = {
    # --- logging in ---------------------------------------------------------------------------
    f"POST {API}/auth/token": PUBLIC,
    f"POST {API}/auth/refresh": PUBLIC,  # the refresh token is the credential
    f"POST {API}/auth/logout": OWN_LOGIN,
    f"POST {API}/auth/password": OWN_LOGIN,
    f"GET {API}/auth/me": OWN_LOGIN,
    # --- user administration ------------------------------------------------------------------
    f"GET {API}/admin/users": ACCOUNTS,
    f"POST {API}/admin/users": ACCOUNTS,
    f"PATCH {API}/admin/users/{{username}}": ACCOUNTS,
    f"POST {API}/admin/users/{{username}}/password": ACCOUNTS,
    f"POST {API}/admin/users/{{username}}/unlock": ACCOUNTS,
    # --- calls and incidents --------------------------------------------------------------------
    f"POST {API}/incidents": FLOOR,
    f"GET {API}/incidents": FLOOR,  # the live board; the auditor searches in the review instead
    f"GET {API}/incidents/{{incident_id}}": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,  # the call it was sent to, never the neighbour's (nor pending calls)
        hospital=ROUTED,  # the patient coming to it, without the caller's data
        auditor=ANY,  # read-only, without the caller's data
    ),
    f"GET {API}/incidents/{{incident_id}}/recommendations": FLOOR,
    f"POST {API}/incidents/{{incident_id}}/assignments": FLOOR,
    f"POST {API}/incidents/{{incident_id}}/cancel": FLOOR,
    f"POST {API}/incidents/{{incident_id}}/notes": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,  # "patient conscious, second unit not needed" on its own call
        hospital=ROUTED,  # "trauma bay 2 ready" on a patient coming to it
    ),
    f"GET {API}/incidents/{{incident_id}}/timeline": allow(
        dispatcher=ANY,  # the console's incident detail shows the log and the notes
        supervisor=ANY,
        auditor=ANY,  # the incident's audit trail, caller data removed
    ),
    f"GET {API}/incidents/{{incident_id}}/tracks": REVIEW,  # the replay is part of the review
    # a record's times are corrected by the supervisor, with a reason (never by whoever made them)
    f"POST {API}/incidents/{{incident_id}}/times": allow(supervisor=ANY),
    f"POST {API}/incidents/{{incident_id}}/reassign": FLOOR,
    f"POST {API}/incidents/{{incident_id}}/triage": FLOOR,
    # suspected infectious, set or cleared with a reason: by the floor, or by the crew that finds
    # a fever on scene (its own call only)
    f"POST {API}/incidents/{{incident_id}}/infectious": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,
    ),
    f"POST {API}/incidents/{{incident_id}}/calls": FLOOR,
    f"GET {API}/incidents/{{incident_id}}/destinations": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,  # where to take its own patient; other calls are not its business
        # hospitals: no; they see the patients routed to them, not the ranking of their rivals
    ),
    f"POST {API}/intake/check": FLOOR,  # names earlier calls from a phone number: call-takers'
    f"GET {API}/triage/protocol": EVERYONE,
    f"POST {API}/triage/evaluate": FLOOR,  # the triage card as the call-taker answers
    # --- telephony: the PBX/CTI connector reports calls; call-takers answer them ----------------
    f"POST {API}/telephony/calls": allow(telephony=ANY),  # a line rings: the connector only
    f"GET {API}/telephony/calls": allow(
        dispatcher=ANY,
        supervisor=ANY,
        telephony=ANY,  # to reconcile after a restart, without the caller's data
    ),
    f"POST {API}/telephony/calls/{{call_id}}/answer": FLOOR,  # a call-taker picks it up
    f"POST {API}/telephony/calls/{{call_id}}/end": allow(
        dispatcher=ANY,  # a call-taker closes a line the PBX did not report ended
        supervisor=ANY,
        telephony=ANY,
    ),
    # --- units ----------------------------------------------------------------------------------
    f"GET {API}/units": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=ANY,  # the fleet board on the crew's screen (call signs, statuses, positions)
        admin=ANY,  # keeps the fleet
        auditor=ANY,  # the review's replay labels tracks with call signs
        # hospitals: no; the inbound list tells them who is coming
    ),
    f"GET {API}/units/{{unit_id}}/assignment": allow(dispatcher=ANY, supervisor=ANY, crew=OWN_UNIT),
    f"POST {API}/units/{{unit_id}}/status": allow(
        dispatcher=ANY,  # a status relayed by radio ("A03 on scene") is keyed by the dispatcher
        supervisor=ANY,
        crew=OWN_UNIT,
    ),
    # A GPS fix and an order acknowledgement are evidence that the crew did something: only the
    # crew's own device may produce them, never someone keying them in for it.
    f"POST {API}/units/{{unit_id}}/position": allow(crew=OWN_UNIT),
    f"POST {API}/units/{{unit_id}}/orders/{{order_id}}/ack": allow(crew=OWN_UNIT),
    f"POST {API}/units/{{unit_id}}/divert": FLOOR,
    f"POST {API}/units/{{unit_id}}/destination": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_UNIT,  # the crew decides with the patient in front of it
        # hospitals: no; a hospital does not route ambulances (it can close or divert its ED)
    ),
    f"PUT {API}/units/{{unit_id}}/isolation": allow(supervisor=ANY, admin=ANY),  # fleet data
    f"POST {API}/units/{{unit_id}}/relocate": FLOOR,  # move-ups are the dispatcher's order
    # --- hospitals ------------------------------------------------------------------------------
    f"GET {API}/hospitals": EVERYONE,
    f"POST {API}/hospitals/{{hospital_id}}/status": allow(
        supervisor=ANY,  # a status phoned in by an ED whose screen is down
        hospital=OWN_HOSPITAL,
        # dispatchers: no (the supervisor owns diversions); admin: hospitals as records, not
        # their ED status, which is operational
    ),
    # "ED acknowledged": evidence that the ED itself saw the pre-alert, so nobody keys it in for
    # it; the path names the login's own hospital as well as the patient (both are checked)
    f"POST {API}/hospitals/{{hospital_id}}/incoming/{{incident_id}}/ack": allow(hospital=ROUTED),
    # --- mass-casualty incidents (issue 17) ----------------------------------------------------
    # Crews of the incident work the MCI on scene; acting as an officer (roles, transports) is
    # checked against the declaration by the service (``not-role-holder``), not by this table.
    f"POST {API}/incidents/{{incident_id}}/mci": FLOOR,  # declaring commits the centre's fleet
    f"GET {API}/incidents/{{incident_id}}/mci": allow(
        dispatcher=ANY, supervisor=ANY, crew=OWN_INCIDENT
    ),
    f"PUT {API}/incidents/{{incident_id}}/mci/roles/{{role}}": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,  # the crew holding incident command
    ),
    f"POST {API}/incidents/{{incident_id}}/mci/patients": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,  # one tap per patient on scene
    ),
    f"PATCH {API}/incidents/{{incident_id}}/mci/patients/{{tag}}": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,  # re-triage on scene
    ),
    f"GET {API}/incidents/{{incident_id}}/mci/plan": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,  # the transport officer's advice
    ),
    f"POST {API}/incidents/{{incident_id}}/mci/transports": allow(
        dispatcher=ANY,
        supervisor=ANY,
        crew=OWN_INCIDENT,  # the crew holding transport
    ),
    # surge capacity is the ED's own figure (a supervisor keys it in for an ED whose screen is
    # down, as for its status); hospitals see counts of what comes to them, never the patients
    f"PUT {API}/hospitals/{{hospital_id}}/surge": allow(supervisor=ANY, hospital=OWN_HOSPITAL),
    f"GET {API}/hospitals/{{hospital_id}}/mci/incoming": allow(
        dispatcher=ANY, supervisor=ANY, hospital=OWN_HOSPITAL
    ),
    # --- emergency blood supply (issue 19) ------------------------------------------------------
    # Stock is kept by the supervisor (there is no stock-keeper role; the blood bank phones or
    # sends its counts and files); banks and couriers are fleet reference data (admin too).
    # Hospitals ask and read under their own id and confirm handovers of their own deliveries
    # (evidence, so nobody keys it in for them); a courier's crew moves its own unit's jobs (the
    # service checks the job is that unit's: ``not-your-job``).
    f"GET {API}/blood/banks": allow(dispatcher=ANY, supervisor=ANY, hospital=ANY, admin=ANY),
    f"POST {API}/blood/banks": allow(supervisor=ANY, admin=ANY),
    f"GET {API}/blood/stock": FLOOR,
    f"PUT {API}/blood/banks/{{bank_id}}/stock": allow(supervisor=ANY),
    f"POST {API}/blood/stock/import": allow(supervisor=ANY),
    f"GET {API}/blood/couriers": FLOOR,
    f"PUT {API}/blood/couriers/{{unit_id}}": allow(supervisor=ANY, admin=ANY),
    f"GET {API}/blood/requests": FLOOR,
    f"POST {API}/blood/hospitals/{{hospital_id}}/requests": allow(
        dispatcher=ANY,  # a request phoned in by a ward
        supervisor=ANY,
        hospital=OWN_HOSPITAL,
    ),
    f"GET {API}/blood/hospitals/{{hospital_id}}/requests": allow(
        dispatcher=ANY, supervisor=ANY, hospital=OWN_HOSPITAL
    ),
    f"GET {API}/blood/hospitals/{{hospital_id}}/requests/{{request_id}}": allow(
        dispatcher=ANY, supervisor=ANY, hospital=OWN_HOSPITAL
    ),
    f"POST {API}/blood/requests/{{request_id}}/jobs": FLOOR,  # sending a courier
    f"POST {API}/blood/requests/{{request_id}}/ambulance": FLOOR,  # or, in extremis, an ambulance
    f"POST {API}/blood/jobs/{{job_id}}/reassign": FLOOR,  # another courier, before pick-up
    f"GET {API}/blood/units/{{unit_id}}/jobs": allow(dispatcher=ANY, supervisor=ANY, crew=OWN_UNIT),
    f"POST {API}/blood/units/{{unit_id}}/jobs/{{job_id}}/pickup": allow(
        dispatcher=ANY,  # relayed by radio
        supervisor=ANY,
        crew=OWN_UNIT,
    ),
    f"POST {API}/blood/hospitals/{{hospital_id}}/jobs/{{job_id}}/handover": allow(
        hospital=OWN_HOSPITAL
    ),
    f"GET {API}/blood/plan": FLOOR,  # courier routes: advice for the floor
    # --- public-health watch (issue 18): counts per syndrome, cell and day; no personal data ---
    f"GET {API}/surveillance/signals": allow(dispatcher=ANY, supervisor=ANY, auditor=ANY),
    f"POST {API}/surveillance/signals/{{signal_id}}/acknowledge": allow(supervisor=ANY),
    f"POST {API}/surveillance/run": allow(supervisor=ANY),
    f"GET {API}/surveillance/counts": REVIEW,  # the export for the health authority
    f"POST {API}/surveillance/history": allow(supervisor=ANY, admin=ANY),
    # --- the map --------------------------------------------------------------------------------
    f"GET {API}/map": PUBLIC,
    f"GET {API}/map/roads": PUBLIC,
    f"GET {API}/geocode": MAP_TOOLS,
    f"GET {API}/reverse": MAP_TOOLS,
    f"GET {API}/route": MAP_TOOLS,
    f"GET {API}/coverage": FLOOR,  # where available units are now: an operational picture
    f"GET {API}/stations": EVERYONE,
    # --- review ---------------------------------------------------------------------------------
    f"GET {API}/review/incidents": REVIEW,
    f"GET {API}/review/kpis": REVIEW,
    f"GET {API}/review/incidents.csv": REVIEW,
    f"GET {API}/review/nemsis": REVIEW,
    # --- optimiser advice -----------------------------------------------------------------------
    f"GET {API}/advice": FLOOR,
    f"GET {API}/moveups": FLOOR,
    f"GET {API}/config": EVERYONE,  # response targets and alert thresholds
    # --- operations -----------------------------------------------------------------------------
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": MONITORING,
    # --- sockets: the scope binds the session to the login's own unit or hospital ---------------
    "WS /ws/console": FLOOR,  # every event with caller data: the floor only
    "WS /ws/crew": allow(crew=OWN_UNIT),
    "WS /ws/hospital": allow(hospital=OWN_HOSPITAL),
}


# --- enforcement ----------------------------------------------------------------------------------


async def check(
    rule: Rule, principal: Principal, path_params: Mapping[str, Any], reads: ReadModel
) -> None:
    """Raise a 403 problem unless ``rule`` lets ``principal`` act on the objects in the path."""
    scope = rule.grants.get(principal.role)
    if scope is None:
        allowed = ", ".join(sorted(r.value for r in rule.grants)) or "nobody"
        raise Problem(
            403, "forbidden", f"Role {principal.role.value} may not do this (allowed: {allowed})"
        )
    if scope is ANY:
        return
    raw = path_params.get(SCOPE_PARAMETER[scope])
    if not await _within(scope, principal, None if raw is None else str(raw), reads):
        raise Problem(403, REFUSAL_CODE[scope], _refusal(scope, principal, raw))
    # A path naming a hospital as well as the patient routed there (an ED's acknowledgement):
    # the hospital must be the login's own too, not only the patient's destination.
    other = path_params.get(SCOPE_PARAMETER[OWN_HOSPITAL])
    if (
        scope is ROUTED
        and other is not None
        and not await _within(OWN_HOSPITAL, principal, str(other), reads)
    ):
        raise Problem(403, REFUSAL_CODE[OWN_HOSPITAL], _refusal(OWN_HOSPITAL, principal, other))


async def _within(scope: Scope, principal: Principal, raw: str | None, reads: ReadModel) -> bool:
    """Whether the object the path names (``raw``; None on a socket: the login's own) is in scope.

    An id in the path is compared in Python with what the login is bound to, never sent to the
    database, so an id no column can hold is simply nobody's.
    """
    wanted = None if raw is None else _as_id(raw)
    if raw is not None and wanted is None:
        return False
    if scope is OWN_UNIT:
        return principal.unit_id is not None and (raw is None or wanted == principal.unit_id)
    if scope is OWN_HOSPITAL:
        return principal.hospital_id is not None and (
            raw is None or wanted == principal.hospital_id
        )
    if principal.unit_id is not None and scope is OWN_INCIDENT:
        return wanted is not None and await reads.incident_of_unit(principal.unit_id) == wanted
    if principal.hospital_id is not None and scope is ROUTED:
        return wanted is not None and wanted in await reads.incidents_routed_to(
            principal.hospital_id
        )
    return False


def _as_id(raw: str) -> int | None:
    """A path segment as an id; None for anything else (``+5``, ``5_0``, ``²``: not ids)."""
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _refusal(scope: Scope, principal: Principal, raw: object) -> str:
    if scope is OWN_UNIT:
        if principal.unit_id is None:
            return "This login is bound to no unit"
        return f"Crew of unit {principal.unit_id} may not act for unit {raw}"
    if scope is OWN_HOSPITAL:
        if principal.hospital_id is None:
            return "This login is bound to no hospital"
        return f"Hospital {principal.hospital_id} may not act for hospital {raw}"
    if scope is OWN_INCIDENT:
        return f"Incident {raw} is not the one your unit is assigned to"
    return f"Incident {raw} has no patient coming to your hospital"


# --- caller data --------------------------------------------------------------------------------


def may_see_caller(
    principal: Principal, incident_id: int | None, works_on: int | None = None
) -> bool:
    """Whether the caller's data of ``incident_id`` may go to ``principal``.

    Dispatchers and supervisors talk to callers and call them back: always. A crew: only for the
    incident its unit works now (``works_on``), to find and phone the caller on the way; not for
    earlier calls. Hospitals, the admin and the auditor: never (a hospital prepares for a patient,
    not a phone number; the audit trail records that caller data was read, not the data).
    """
    if principal.role in (Role.DISPATCHER, Role.SUPERVISOR):
        return True
    return principal.role is Role.CREW and incident_id is not None and incident_id == works_on


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a REST answer goes to: every incident payload a route returns passes :meth:`show`.

    ``callers_shown`` collects the incidents whose caller data this answer carries; the request's
    dependency writes one ``caller-data-read`` audit row for them (``deps.get_audience``)."""

    principal: Principal
    works_on: int | None = None  # a crew's current incident (read once per request)
    callers_shown: set[int] = field(default_factory=set)

    def show(self, payload: dict[str, Any], incident_id: int | None) -> dict[str, Any]:
        """``payload`` (about ``incident_id``) as this login may see it."""
        if may_see_caller(self.principal, incident_id, self.works_on):
            if incident_id is not None and _carries_caller(payload):
                self.callers_shown.add(incident_id)
            return payload
        shown: dict[str, Any] = without_caller(payload)
        return shown

    def incident(self, view: dict[str, Any]) -> dict[str, Any]:
        """An ``incident_view``, as this login may see it."""
        return self.show(view, view.get("id"))

    def incidents(self, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.incident(v) for v in views]


def _carries_caller(payload: dict[str, Any]) -> bool:
    return bool(payload.get("caller") or payload.get("caller_number"))


# --- binding the table to the app -----------------------------------------------------------------


def operations(app: FastAPI) -> Iterator[tuple[str, Any]]:
    """Every API operation of ``app`` as (``METHOD /path`` or ``WS /path``, endpoint function)."""
    for route, path, methods in _routes(app):
        if isinstance(route, APIRoute):
            for method in sorted(methods):
                yield f"{method} {path}", route.endpoint
        elif isinstance(route, APIWebSocketRoute):
            yield f"WS {path}", route.endpoint


def _routes(app: FastAPI) -> Iterator[tuple[BaseRoute, str, set[str]]]:
    """Each route with the path and methods it is served at (prefixes of included routers on)."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI keeps included routers whole
    except ImportError:  # pragma: no cover - an older FastAPI copies every route into app.routes
        for route in app.routes:
            yield route, getattr(route, "path", ""), set(getattr(route, "methods", None) or ())
        return
    for context in iter_route_contexts(app.routes):
        yield context.original_route, context.path or "", set(context.methods or ())


def bind(app: FastAPI) -> dict[Any, Rule]:
    """Each endpoint's rule, or ``RuntimeError`` naming every route the table does not cover (and
    every entry that names no route, or a scope its path cannot check): the app does not start."""
    by_endpoint: dict[Any, Rule] = {}
    seen: set[str] = set()
    wrong: list[str] = []
    for key, endpoint in operations(app):
        seen.add(key)
        rule = POLICY.get(key)
        if rule is None:
            wrong.append(f"{key}: no entry in dispatch.api.policy.POLICY")
            continue
        if by_endpoint.get(endpoint, rule) is not rule:
            wrong.append(f"{key}: its endpoint serves another operation with another rule")
        by_endpoint[endpoint] = rule
        socket = key.startswith("WS ")
        for role, scope in rule.grants.items():
            param = SCOPE_PARAMETER.get(scope)
            if param is not None and socket == (f"{{{param}}}" in key):
                where = "a socket binds to the login itself" if socket else f"no {{{param}}}"
                wrong.append(f"{key}: {role.value} has scope {scope.value} but {where}")
    wrong.extend(f"{key}: entry names no route" for key in POLICY if key not in seen)
    if wrong:
        raise RuntimeError("authorization policy does not match the routes:\n" + "\n".join(wrong))
    return by_endpoint


def document(openapi: dict[str, Any]) -> None:
    """Add the 401 and 403 problems the policy can answer to each operation of the document."""
    for path, item in openapi.get("paths", {}).items():
        for method, operation in item.items():
            rule = POLICY.get(f"{method.upper()} {path}")
            if rule is None or rule.public:
                continue
            statuses = (401, 403) if rule.refuses_someone() else (401,)
            responses = operation.setdefault("responses", {})
            for status, response in problems(*statuses).items():
                if status in statuses:
                    responses.setdefault(str(status), response)


def as_markdown() -> str:
    """The table for people: one row per operation, one column per role (docs, closing notes)."""
    roles = COLUMNS
    lines = [
        "| operation | " + " | ".join(r.value for r in roles) + " |",
        "|---" * (len(roles) + 1) + "|",
    ]
    for key, rule in POLICY.items():
        if rule.public:
            cells = ["network" if rule.networks else "public"] * len(roles)
        else:
            cells = [rule.grants[r].value if r in rule.grants else "-" for r in roles]
        lines.append(f"| `{key}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
