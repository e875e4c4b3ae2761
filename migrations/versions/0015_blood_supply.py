"""emergency blood supply: banks, stock lots, requests, reservations, couriers, delivery jobs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

Issue 19; the model is ``dispatch.domain.blood`` (docs/blood.md), the storage
``dispatch.store.blood``.

* ``blood_banks``: where stock is kept; ``code`` is what the stock CSV's ``bank`` column names.
* ``blood_lots``: one row per bank + lot number + product (``uq_blood_lots_bank_lot_product``);
  ``units`` is what is **free** to allocate now. A reservation moves units out of it, and
  ``ck_blood_lots_units`` (``units >= 0``) is the last line of defence behind the row locks
  the allocation takes: a unit allocated twice would drive it negative and abort.
* ``blood_requests``: a hospital's request; ``status`` reserved (units held), waitlisted
  (nothing held: no or too little compatible stock, ``refusal_code`` and ``refusal`` say why),
  dispatched (every bank's units have a courier), delivered, cancelled.
* ``blood_reservations``: request <-> lot, units taken, in allocation order.
* ``blood_couriers``: the units that carry blood (the ``blood`` capability) and their box
  capacities in units. Unit ``capability`` stays ALS/BLS (the clinical level dispatch matches
  calls against); carrying blood is a separate, explicit registration, so no dispatch rule
  changes and a courier car needs no fake clinical level.
* ``blood_jobs``: one delivery per request and bank, carried by one courier unit.

Every change is also an event in ``events`` (written by the unit of work in the same
transaction). The application role gets its privileges from the default privileges of 0007.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
PRODUCTS = "('red_cells', 'plasma', 'platelets', 'cryo')"
GROUPS = "('O-', 'O+', 'A-', 'A+', 'B-', 'B+', 'AB-', 'AB+')"
URGENCIES = "('life_threatening', 'urgent', 'routine')"
REQUEST_STATUSES = "('reserved', 'waitlisted', 'dispatched', 'delivered', 'cancelled')"
JOB_STATES = "('assigned', 'picked_up', 'delivered', 'cancelled')"


def upgrade() -> None:
    op.create_table(
        "blood_banks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("location", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "blood_lots",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("bank_id", sa.Integer, sa.ForeignKey("blood_banks.id"), nullable=False),
        sa.Column("lot", sa.String(40), nullable=False),
        sa.Column("product", sa.String(12), nullable=False),
        sa.Column("abo_rh", sa.String(3), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("bank_id", "lot", "product", name="uq_blood_lots_bank_lot_product"),
        sa.CheckConstraint("units >= 0", name="ck_blood_lots_units"),
        sa.CheckConstraint(f"product IN {PRODUCTS}", name="ck_blood_lots_product"),
        sa.CheckConstraint(f"abo_rh IN {GROUPS}", name="ck_blood_lots_group"),
    )
    op.create_index("ix_blood_lots_product_group", "blood_lots", ["product", "abo_rh"])
    op.create_table(
        "blood_requests",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("hospital_id", sa.Integer, sa.ForeignKey("hospitals.id"), nullable=False),
        sa.Column("product", sa.String(12), nullable=False),
        sa.Column("abo_rh", sa.String(3), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("accept_partial", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("deadline", TZ, nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reserved_units", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refusal_code", sa.String(40)),
        sa.Column("refusal", postgresql.JSONB()),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("units BETWEEN 1 AND 50", name="ck_blood_requests_units"),
        sa.CheckConstraint(f"product IN {PRODUCTS}", name="ck_blood_requests_product"),
        sa.CheckConstraint(f"abo_rh IN {GROUPS}", name="ck_blood_requests_group"),
        sa.CheckConstraint(f"urgency IN {URGENCIES}", name="ck_blood_requests_urgency"),
        sa.CheckConstraint(f"status IN {REQUEST_STATUSES}", name="ck_blood_requests_status"),
    )
    op.create_index("ix_blood_requests_hospital", "blood_requests", ["hospital_id"])
    op.create_table(
        "blood_reservations",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("request_id", sa.BigInteger, sa.ForeignKey("blood_requests.id"), nullable=False),
        sa.Column("lot_id", sa.BigInteger, sa.ForeignKey("blood_lots.id"), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("identical", sa.Boolean, nullable=False),
        sa.Column("note", postgresql.JSONB()),
        sa.Column("reserved_at", TZ, nullable=False),
        sa.UniqueConstraint("request_id", "lot_id", name="uq_blood_reservations_request_lot"),
        sa.CheckConstraint("units > 0", name="ck_blood_reservations_units"),
    )
    op.create_index("ix_blood_reservations_lot", "blood_reservations", ["lot_id"])
    op.create_table(
        "blood_couriers",
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), primary_key=True),
        sa.Column("cool", sa.Integer, nullable=False),
        sa.Column("frozen", sa.Integer, nullable=False),
        sa.Column("ambient", sa.Integer, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint(
            "cool BETWEEN 0 AND 200 AND frozen BETWEEN 0 AND 200 AND ambient BETWEEN 0 AND 200",
            name="ck_blood_couriers_capacity",
        ),
    )
    op.create_table(
        "blood_jobs",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("request_id", sa.BigInteger, sa.ForeignKey("blood_requests.id"), nullable=False),
        sa.Column("bank_id", sa.Integer, sa.ForeignKey("blood_banks.id"), nullable=False),
        sa.Column("hospital_id", sa.Integer, sa.ForeignKey("hospitals.id"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("product", sa.String(12), nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("lots", postgresql.ARRAY(sa.String(40)), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("assigned_at", TZ, nullable=False),
        sa.Column("picked_up_at", TZ),
        sa.Column("delivered_at", TZ),
        sa.Column("cancelled_at", TZ),
        sa.Column("handover_by", sa.String(100)),
        sa.Column("cancel_reason", sa.String(500)),
        sa.UniqueConstraint("request_id", "bank_id", name="uq_blood_jobs_request_bank"),
        sa.CheckConstraint("units > 0", name="ck_blood_jobs_units"),
        sa.CheckConstraint(f"state IN {JOB_STATES}", name="ck_blood_jobs_state"),
    )
    op.create_index("ix_blood_jobs_unit", "blood_jobs", ["unit_id"])
    op.create_index("ix_blood_jobs_hospital", "blood_jobs", ["hospital_id"])


def downgrade() -> None:
    op.drop_index("ix_blood_jobs_hospital", "blood_jobs")
    op.drop_index("ix_blood_jobs_unit", "blood_jobs")
    op.drop_table("blood_jobs")
    op.drop_table("blood_couriers")
    op.drop_index("ix_blood_reservations_lot", "blood_reservations")
    op.drop_table("blood_reservations")
    op.drop_index("ix_blood_requests_hospital", "blood_requests")
    op.drop_table("blood_requests")
    op.drop_index("ix_blood_lots_product_group", "blood_lots")
    op.drop_table("blood_lots")
    op.drop_table("blood_banks")
