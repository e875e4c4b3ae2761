"""mass-casualty incidents: the declaration, its patients and hospitals' surge capacity

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

Issue 17; the model is ``dispatch.domain.mci`` (docs/mci.md).

* ``mcis``: one row per incident declared an MCI (``incident_id`` is the key: an incident is
  declared once). ``roles`` is a JSON object from command role to the unit holding it
  (``{"transport": 3}``): a handful of keys always read and written with the declaration, so a
  table of its own would only add joins. A check keeps it an object.
* ``mci_patients``: one row per casualty, known by the number on its physical triage tag, unique
  per incident (``uq_mci_patients_incident_tag``): a crew's tap replayed from an offline queue
  finds the row it created instead of a second patient.
* ``surge_capacity``: what each ED declared it accepts per capacity category (immediate, delayed,
  minor); no row means the default from its free beds (``default_surge``).

The application role gets its privileges on these tables (and the patients' id sequence) from
the default privileges migration 0007 set for the schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
CATEGORIES = "('immediate', 'delayed', 'minor', 'expectant', 'dead')"
STATUSES = "('on_scene', 'assigned', 'transporting', 'arrived', 'released')"


def upgrade() -> None:
    op.create_table(
        "mcis",
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("declared_at", TZ, nullable=False),
        sa.Column("declared_by", sa.String(100), nullable=False),
        sa.Column("roles", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="ck_mcis_level"),
        sa.CheckConstraint("jsonb_typeof(roles) = 'object'", name="ck_mcis_roles_object"),
    )
    op.create_table(
        "mci_patients",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("mcis.incident_id"), nullable=False),
        sa.Column("tag", sa.String(32), nullable=False),
        sa.Column("category", sa.String(12), nullable=False),
        sa.Column("age_band", sa.String(12), nullable=False, server_default="unknown"),
        sa.Column("injury", sa.String(200), nullable=False, server_default=""),
        sa.Column("needs", postgresql.ARRAY(sa.String(20)), nullable=False, server_default="{}"),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="on_scene"),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id")),
        sa.Column("hospital_id", sa.Integer, sa.ForeignKey("hospitals.id")),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("status_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("incident_id", "tag", name="uq_mci_patients_incident_tag"),
        sa.CheckConstraint(f"category IN {CATEGORIES}", name="ck_mci_patients_category"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_mci_patients_status"),
    )
    op.create_index("ix_mci_patients_unit", "mci_patients", ["unit_id"])
    op.create_index("ix_mci_patients_hospital", "mci_patients", ["hospital_id"])
    op.create_table(
        "surge_capacity",
        sa.Column("hospital_id", sa.Integer, sa.ForeignKey("hospitals.id"), primary_key=True),
        sa.Column("immediate", sa.Integer, nullable=False),
        sa.Column("delayed", sa.Integer, nullable=False),
        sa.Column("minor", sa.Integer, nullable=False),
        sa.Column("declared_at", TZ, nullable=False),
        sa.Column("declared_by", sa.String(100), nullable=False),
        sa.CheckConstraint(
            "immediate BETWEEN 0 AND 1000 AND delayed BETWEEN 0 AND 1000 "
            "AND minor BETWEEN 0 AND 1000",
            name="ck_surge_capacity_range",
        ),
    )


def downgrade() -> None:
    op.drop_table("surge_capacity")
    op.drop_index("ix_mci_patients_hospital", "mci_patients")
    op.drop_index("ix_mci_patients_unit", "mci_patients")
    op.drop_table("mci_patients")
    op.drop_table("mcis")
