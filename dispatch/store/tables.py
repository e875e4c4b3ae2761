"""PostgreSQL + PostGIS schema (SQLAlchemy Core + GeoAlchemy2). Alembic migrations mirror it.

``events`` is the system of record for what happened: append-only, one row per domain event,
written in the same transaction as the state change, ordered by a global ``seq``. ``events`` and
``audit`` are hash-chained and refuse UPDATE/DELETE by trigger (migration 0007,
``dispatch/store/audit.py``): ``seq``, ``audit.id``, ``audit.at`` and ``hash`` are the trigger's.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Sequence,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()


def _point() -> Geometry:
    """A fresh type per column: GeoAlchemy2 keeps per-column state (nullability) on the type."""
    return Geometry("POINT", srid=4326, spatial_index=False)


def _line() -> Geometry:
    return Geometry("LINESTRING", srid=4326, spatial_index=False)


TZ = DateTime(timezone=True)

incident_ids = Sequence("incident_id_seq", metadata=metadata)

stations = Table(
    "stations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("location", _point(), nullable=False),
    Index("ix_stations_location", "location", postgresql_using="gist"),
)

hospitals = Table(
    "hospitals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("location", _point(), nullable=False),
    Column("capabilities", ARRAY(String(20)), nullable=False, server_default="{}"),
    Column("ed_status", String(12), nullable=False, server_default="open"),
    Column("beds_available", Integer, nullable=False, server_default="0"),
    Column("status_at", TZ),
    Column("capability_beds", JSONB, nullable=False, server_default=text("'{}'")),
    CheckConstraint(
        "jsonb_typeof(capability_beds) = 'object'", name="ck_hospitals_capability_beds_object"
    ),
    Index("ix_hospitals_location", "location", postgresql_using="gist"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", BigInteger, incident_ids, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("location", _point(), nullable=False),
    Column("address", Text),
    Column("complaint", Text, nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("received_at", TZ, nullable=False),
    Column("dispatched_at", TZ),
    Column("en_route_at", TZ),
    Column("on_scene_at", TZ),
    Column("transporting_at", TZ),
    Column("at_hospital_at", TZ),
    Column("closed_at", TZ),
    Column("cancelled_at", TZ),
    Column("cancel_reason", Text),
    Column("address_verified", Boolean, nullable=False, server_default="false"),
    Column("complaint_code", String(60)),
    Column("determinant", String(2)),
    Column("determinant_code", String(80)),
    Column("protocol_version", String(20)),
    Column("needs", ARRAY(String(20)), nullable=False, server_default="{}"),
    Column("hospital_capability", String(30)),
    # suspected infectious (respiratory / fever), migration 0016
    Column("infectious", Boolean, nullable=False, server_default="false"),
    Column("infectious_reason", String(500)),
    Column("caller_number", String(40)),
    Column("caller_location", _point()),
    Column("caller_accuracy_m", Float),
    Column("caller_crs", String(10)),
    Column("caller_name", String(100)),  # as the caller gave it (migration 0009)
    Column("caller_callback", String(40)),  # the number to call back, when not the ANI
    Index("ix_incidents_location", "location", postgresql_using="gist"),
    Index("ix_incidents_open", "status", postgresql_where="status NOT IN ('closed', 'cancelled')"),
)

units = Table(
    "units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_sign", String(20), nullable=False, unique=True),
    Column("capability", String(8), nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_at", TZ, nullable=False),
    Column("position", _point()),
    Column("position_at", TZ),
    Column("station_id", Integer, ForeignKey("stations.id")),
    Column("incident_id", BigInteger, ForeignKey("incidents.id")),
    Column("order_id", BigInteger),  # current assignment (dispatch order); no FK: avoids a cycle
    Column("order_acknowledged_at", TZ),
    Column("destination_hospital_id", Integer, ForeignKey("hospitals.id")),
    # why status_at is suspicious or not the device's own time (migration 0012)
    Column("status_flags", ARRAY(String(40)), nullable=False, server_default="{}"),
    # infectious transport (migration 0016)
    Column("isolation", Boolean, nullable=False, server_default="false"),
    Column("infectious_load", Boolean, nullable=False, server_default="false"),
    Column("decontamination_until", TZ),
    Index("ix_units_position", "position", postgresql_using="gist"),
    Index(
        "ix_units_decontamination",
        "decontamination_until",
        postgresql_where="status = 'decontamination'",
    ),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False, index=True),
    Column("assigned_at", TZ, nullable=False),
    Column("assigned_by", String(100), nullable=False),
    Column("eta_s", Float),
    Column("distance_m", Float),
    Column("route", _line()),
    Column("acknowledged_at", TZ),
    # the unit's own NEMSIS times under this order (migration 0012, dispatch.domain.unit_times):
    # eTimes 05, 06, 07, 09, 10, 11, 12, 13, 14; 03 is assigned_at and 04 acknowledged_at
    Column("en_route_at", TZ),
    Column("on_scene_at", TZ),
    Column("at_patient_at", TZ),
    Column("left_scene_at", TZ),
    Column("at_landing_area_at", TZ),
    Column("at_destination_at", TZ),
    Column("care_transferred_at", TZ),
    Column("back_in_service_at", TZ),
    Column("cancelled_at", TZ),
    # per element (stamp name): why its time is suspicious or was corrected
    Column("time_flags", JSONB, nullable=False, server_default=text("'{}'")),
)

#: Every call received: the first one of an incident and any later ones linked to it. Repeat
#: callers are found here by number.
calls = Table(
    "calls",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("received_at", TZ, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("caller_number", String(40)),
    Column("complaint", Text, nullable=False),
    Column("linked", Boolean, nullable=False, server_default="false"),
    # the PBX's call it was taken on (one phone call is one call record, never two incidents)
    Column("phone_call_id", BigInteger, ForeignKey("phone_calls.id"), unique=True),
    Index("ix_calls_number_time", "caller_number", "received_at"),
)

#: Every call the PBX reported (``dispatch.domain.telephony``): ringing, answered, ended. Kept
#: whatever became of it, so an abandoned call can be called back.
phone_calls = Table(
    "phone_calls",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("line", String(60), nullable=False),
    Column("pbx_call_id", String(100), unique=True),
    Column("caller_number", String(40)),
    Column("caller_name", String(100)),
    Column("caller_location", _point()),
    Column("caller_accuracy_m", Float),
    Column("started_at", TZ, nullable=False),
    Column("received_at", TZ, nullable=False),
    Column("state", String(10), nullable=False),
    Column("answered_at", TZ),
    Column("answered_by", String(100)),
    Column("ended_at", TZ),
    CheckConstraint("state IN ('ringing', 'answered', 'ended')", name="ck_phone_calls_state"),
    Index("ix_phone_calls_live", "state", postgresql_where="state <> 'ended'"),
)

#: Every accepted GPS fix, for replaying a unit's movements in incident review. Partitioned by
#: month of ``reported_at`` (migration 0013): the key is part of the primary key, and months
#: older than the retention setting are dropped whole (``dispatch.store.partitions``).
unit_positions = Table(
    "unit_positions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("position", _point(), nullable=False),
    Column("reported_at", TZ, primary_key=True),
    Column("recorded_at", TZ, nullable=False, server_default=func.now()),
    # Unique: a replayed fix (same unit, same time) is stored once.
    Index("ux_unit_positions_unit_time", "unit_id", "reported_at", unique=True),
    Index("ix_unit_positions_recorded_at", "recorded_at"),
)

#: Highest ``client_seq`` applied per (unit, device install): replays of a crew's offline queue
#: are recognised and not applied twice.
client_cursors = Table(
    "client_cursors",
    metadata,
    Column("unit_id", Integer, ForeignKey("units.id"), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("updated_at", TZ, nullable=False, server_default=func.now()),
)

#: ``Idempotency-Key`` of call creation: same key and body -> the same answer, never a 2nd call.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("actor", String(100), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("response", JSONB, nullable=False),
    Column("created_at", TZ, nullable=False, server_default=func.now()),
)

#: The event log. Partitioned by month of ``recorded_at`` (migration 0013), which is therefore
#: part of the primary key; ``seq`` is unique all the same, drawn by the chain trigger alone.
events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue()),
    Column("name", String(60), nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("recorded_at", TZ, primary_key=True, server_default=func.now()),
    Column("actor", String(100), nullable=False),
    Column("incident_id", BigInteger, index=True),
    Column("unit_id", Integer, index=True),
    Column("payload", JSONB, nullable=False),
    Column("hash", LargeBinary, nullable=False, server_default=FetchedValue()),  # the trigger's
    CheckConstraint("octet_length(hash) = 32", name="ck_events_hash"),
)

#: Who did what to whom, from where: logins, refusals, reads of caller data, exports, account
#: changes (``dispatch.store.audit``). Append-only and hash-chained by ``id``, like ``events``.
audit = Table(
    "audit",
    metadata,
    # FetchedValue: the chain trigger draws ``id`` and sets ``at`` and ``hash``.
    Column("id", BigInteger, primary_key=True, autoincrement=False, server_default=FetchedValue()),
    Column("at", TZ, nullable=False, server_default=func.now()),
    Column("kind", String(40), nullable=False),
    Column("actor", String(200)),
    Column("subject", String(200)),
    Column("client", String(100)),
    Column("detail", JSONB, nullable=False, server_default="{}"),
    Column("hash", LargeBinary, nullable=False, server_default=FetchedValue()),
    CheckConstraint("kind ~ '^[a-z][a-z0-9-]*$'", name="ck_audit_kind"),
    CheckConstraint("octet_length(hash) = 32", name="ck_audit_hash"),
    Index("ix_audit_at", "at"),
    Index("ix_audit_kind_at", "kind", "at"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("hospital_id", Integer, ForeignKey("hospitals.id")),
    Column("active", Boolean, nullable=False, server_default="true"),
    # seeded (unless demo logins), created and reset accounts: a new password before anything else
    Column("must_change_password", Boolean, nullable=False, server_default="false"),
    Column("created_at", TZ, nullable=False, server_default=func.now()),
    Column("password_changed_at", TZ),
    Column("last_login_at", TZ),
    CheckConstraint(
        "role IN ('dispatcher', 'supervisor', 'crew', 'hospital', 'admin', 'auditor', 'telephony')",
        name="ck_users_role",
    ),
)

#: One row per login (``dispatch.store.sessions``): access tokens name it, the refresh token is kept
#: only as its SHA-256, a revoked session keeps its row.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "username",
        String(100),
        ForeignKey("users.username", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", TZ, nullable=False),
    Column("last_seen_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
    Column("idle_timeout_s", Integer, nullable=False),
    Column("refresh_hash", LargeBinary, nullable=False),
    # the refresh tokens it replaced (one per renewal: some 50 in a shift), to recognise a replay
    Column("retired_refresh_hashes", ARRAY(LargeBinary), nullable=False, server_default="{}"),
    Column("revoked_at", TZ),
    Column("revoke_reason", String(40)),
    Column("client", String(100)),
    CheckConstraint("octet_length(refresh_hash) = 32", name="ck_sessions_refresh_hash"),
    CheckConstraint("idle_timeout_s > 0", name="ck_sessions_idle"),
    Index("ix_sessions_username_live", "username", postgresql_where=text("revoked_at IS NULL")),
)

#: Failed logins per account name and per client address (``dispatch.store.throttle``).
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("kind", String(10), primary_key=True),  # 'account' or 'client'
    Column("key", String(200), primary_key=True),  # the name typed, or the address
    Column("failures", Integer, nullable=False),
    Column("window_started_at", TZ),
    Column("locked_until", TZ),
    Column("last_failure_at", TZ, nullable=False),
    CheckConstraint("kind IN ('account', 'client')", name="ck_login_throttle_kind"),
    Index("ix_login_throttle_last_failure", "last_failure_at"),
)


# --- mass-casualty incidents (migration 0014, ``dispatch.store.mci``) ----------------------------

#: A declared MCI: ``roles`` maps command role -> the unit holding it (``dispatch.domain.mci``).
mcis = Table(
    "mcis",
    metadata,
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), primary_key=True),
    Column("level", SmallInteger, nullable=False),
    Column("declared_at", TZ, nullable=False),
    Column("declared_by", String(100), nullable=False),
    Column("roles", JSONB, nullable=False, server_default=text("'{}'")),
    Column("updated_at", TZ, nullable=False),
    CheckConstraint("level BETWEEN 1 AND 4", name="ck_mcis_level"),
    CheckConstraint("jsonb_typeof(roles) = 'object'", name="ck_mcis_roles_object"),
)

#: One casualty of an MCI, known by its triage tag (unique per incident: replays find the row).
mci_patients = Table(
    "mci_patients",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("incident_id", BigInteger, ForeignKey("mcis.incident_id"), nullable=False),
    Column("tag", String(32), nullable=False),
    Column("category", String(12), nullable=False),
    Column("age_band", String(12), nullable=False, server_default="unknown"),
    Column("injury", String(200), nullable=False, server_default=""),
    Column("needs", ARRAY(String(20)), nullable=False, server_default="{}"),
    Column("note", String(500), nullable=False, server_default=""),
    Column("status", String(16), nullable=False, server_default="on_scene"),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("hospital_id", Integer, ForeignKey("hospitals.id")),
    Column("registered_at", TZ, nullable=False),
    Column("status_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    UniqueConstraint("incident_id", "tag", name="uq_mci_patients_incident_tag"),
    CheckConstraint(
        "category IN ('immediate', 'delayed', 'minor', 'expectant', 'dead')",
        name="ck_mci_patients_category",
    ),
    CheckConstraint(
        "status IN ('on_scene', 'assigned', 'transporting', 'arrived', 'released')",
        name="ck_mci_patients_status",
    ),
    Index("ix_mci_patients_unit", "unit_id"),
    Index("ix_mci_patients_hospital", "hospital_id"),
)

#: What an ED declared it accepts per capacity category; no row: the default from its beds.
surge_capacity = Table(
    "surge_capacity",
    metadata,
    Column("hospital_id", Integer, ForeignKey("hospitals.id"), primary_key=True),
    Column("immediate", Integer, nullable=False),
    Column("delayed", Integer, nullable=False),
    Column("minor", Integer, nullable=False),
    Column("declared_at", TZ, nullable=False),
    Column("declared_by", String(100), nullable=False),
    CheckConstraint(
        "immediate BETWEEN 0 AND 1000 AND delayed BETWEEN 0 AND 1000 AND minor BETWEEN 0 AND 1000",
        name="ck_surge_capacity_range",
    ),
)


# --- emergency blood supply (migration 0015, ``dispatch.store.blood``) ---------------------------

_PRODUCTS = "('red_cells', 'plasma', 'platelets', 'cryo')"
_GROUPS = "('O-', 'O+', 'A-', 'A+', 'B-', 'B+', 'AB-', 'AB+')"

#: A blood bank; ``code`` is what the stock CSV's ``bank`` column names.
blood_banks = Table(
    "blood_banks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("location", _point(), nullable=False),
    Column("updated_at", TZ, nullable=False),
)

#: A lot of one product at one bank; ``units`` is what is free to allocate (never below 0).
blood_lots = Table(
    "blood_lots",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("bank_id", Integer, ForeignKey("blood_banks.id"), nullable=False),
    Column("lot", String(40), nullable=False),
    Column("product", String(12), nullable=False),
    Column("abo_rh", String(3), nullable=False),
    Column("units", Integer, nullable=False),
    Column("expires_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    UniqueConstraint("bank_id", "lot", "product", name="uq_blood_lots_bank_lot_product"),
    CheckConstraint("units >= 0", name="ck_blood_lots_units"),
    CheckConstraint(f"product IN {_PRODUCTS}", name="ck_blood_lots_product"),
    CheckConstraint(f"abo_rh IN {_GROUPS}", name="ck_blood_lots_group"),
    Index("ix_blood_lots_product_group", "product", "abo_rh"),
)

#: A hospital's request: reserved, waitlisted (``refusal_code``/``refusal``), dispatched,
#: delivered or cancelled.
blood_requests = Table(
    "blood_requests",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("hospital_id", Integer, ForeignKey("hospitals.id"), nullable=False),
    Column("product", String(12), nullable=False),
    Column("abo_rh", String(3), nullable=False),
    Column("units", Integer, nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("accept_partial", Boolean, nullable=False, server_default="false"),
    Column("requested_at", TZ, nullable=False),
    Column("deadline", TZ, nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("status", String(12), nullable=False),
    Column("reserved_units", Integer, nullable=False, server_default="0"),
    Column("refusal_code", String(40)),
    Column("refusal", JSONB),
    Column("updated_at", TZ, nullable=False),
    CheckConstraint("units BETWEEN 1 AND 50", name="ck_blood_requests_units"),
    CheckConstraint(f"product IN {_PRODUCTS}", name="ck_blood_requests_product"),
    CheckConstraint(f"abo_rh IN {_GROUPS}", name="ck_blood_requests_group"),
    CheckConstraint(
        "urgency IN ('life_threatening', 'urgent', 'routine')", name="ck_blood_requests_urgency"
    ),
    CheckConstraint(
        "status IN ('reserved', 'waitlisted', 'dispatched', 'delivered', 'cancelled')",
        name="ck_blood_requests_status",
    ),
    Index("ix_blood_requests_hospital", "hospital_id"),
)

#: Units of a lot held for a request, in allocation order (``id``).
blood_reservations = Table(
    "blood_reservations",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("request_id", BigInteger, ForeignKey("blood_requests.id"), nullable=False),
    Column("lot_id", BigInteger, ForeignKey("blood_lots.id"), nullable=False),
    Column("units", Integer, nullable=False),
    Column("identical", Boolean, nullable=False),
    Column("note", JSONB),
    Column("reserved_at", TZ, nullable=False),
    UniqueConstraint("request_id", "lot_id", name="uq_blood_reservations_request_lot"),
    CheckConstraint("units > 0", name="ck_blood_reservations_units"),
    Index("ix_blood_reservations_lot", "lot_id"),
)

#: Units with the ``blood`` capability and their box capacities (units of product per box).
blood_couriers = Table(
    "blood_couriers",
    metadata,
    Column("unit_id", Integer, ForeignKey("units.id"), primary_key=True),
    Column("cool", Integer, nullable=False),
    Column("frozen", Integer, nullable=False),
    Column("ambient", Integer, nullable=False),
    Column("updated_at", TZ, nullable=False),
    CheckConstraint(
        "cool BETWEEN 0 AND 200 AND frozen BETWEEN 0 AND 200 AND ambient BETWEEN 0 AND 200",
        name="ck_blood_couriers_capacity",
    ),
)

#: One delivery: a request's units from one bank, carried by one courier unit.
blood_jobs = Table(
    "blood_jobs",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("request_id", BigInteger, ForeignKey("blood_requests.id"), nullable=False),
    Column("bank_id", Integer, ForeignKey("blood_banks.id"), nullable=False),
    Column("hospital_id", Integer, ForeignKey("hospitals.id"), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("product", String(12), nullable=False),
    Column("units", Integer, nullable=False),
    Column("lots", ARRAY(String(40)), nullable=False),
    Column("state", String(12), nullable=False),
    Column("assigned_at", TZ, nullable=False),
    Column("picked_up_at", TZ),
    Column("delivered_at", TZ),
    Column("cancelled_at", TZ),
    Column("handover_by", String(100)),
    Column("cancel_reason", String(500)),
    UniqueConstraint("request_id", "bank_id", name="uq_blood_jobs_request_bank"),
    CheckConstraint("units > 0", name="ck_blood_jobs_units"),
    CheckConstraint(
        "state IN ('assigned', 'picked_up', 'delivered', 'cancelled')", name="ck_blood_jobs_state"
    ),
    Index("ix_blood_jobs_unit", "unit_id"),
    Index("ix_blood_jobs_hospital", "hospital_id"),
)

# -- public-health watch (migration 0017) -----------------------------------------------------

#: Imported daily counts (counts only: no call, no person): a day with rows here is read from
#: here, not from the incidents, so history and live calls are never added together.
surveillance_history = Table(
    "surveillance_history",
    metadata,
    Column("day", Date, primary_key=True),
    Column("syndrome", String(40), primary_key=True),
    Column("area", String(20), primary_key=True),
    Column("calls", Integer, nullable=False),
    Column("imported_at", TZ, nullable=False),
    CheckConstraint("calls >= 0", name="ck_surveillance_history_calls"),
)

#: Deduplicated signals (``dispatch.surveillance.signals``), open and closed, with who
#: acknowledged them.
surveillance_signals = Table(
    "surveillance_signals",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("method", String(40), nullable=False),
    Column("syndrome", String(40), nullable=False),
    Column("areas", ARRAY(String(20)), nullable=False),
    Column("since", Date, nullable=False),
    Column("last_seen", Date, nullable=False),
    Column("days", Integer, nullable=False),
    Column("observed", Float, nullable=False),
    Column("expected", Float, nullable=False),
    Column("statistic", Float, nullable=False),
    Column("level", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("opened_at", TZ, nullable=False),
    Column("closed_at", TZ),
    Column("acknowledged_at", TZ),
    Column("acknowledged_by", String(100)),
    Column("acknowledge_note", Text),
    CheckConstraint("status IN ('open', 'closed')", name="ck_surveillance_signals_status"),
    CheckConstraint("level IN ('warning', 'alert')", name="ck_surveillance_signals_level"),
    Index(
        "ix_surveillance_signals_open",
        "syndrome",
        "method",
        postgresql_where=text("status = 'open'"),
    ),
    Index("ix_surveillance_signals_since", "since"),
)

#: The last whole day the watch has judged (one row).
surveillance_progress = Table(
    "surveillance_progress",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("last_day", Date, nullable=False),
    Column("updated_at", TZ, nullable=False),
    CheckConstraint("id = 1", name="ck_surveillance_progress_one_row"),
)
