"""infectious transport: suspected-infectious calls, isolation units, decontamination

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

Why: a call flagged "suspected infectious (respiratory / fever)" is answered by a unit that can
isolate the patient, taken to a fever clinic, and the unit is cleaned afterwards before it takes
another call. The flag and its reason live on the incident; the unit's isolation capability, the
fact that its current call is infectious and when its decontamination ends live on the unit. The
``decontamination`` status is one more value of ``units.status`` (a free string column).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "incidents", sa.Column("infectious", sa.Boolean, nullable=False, server_default="false")
    )
    op.add_column("incidents", sa.Column("infectious_reason", sa.String(500)))
    op.add_column(
        "units", sa.Column("isolation", sa.Boolean, nullable=False, server_default="false")
    )
    op.add_column(
        "units", sa.Column("infectious_load", sa.Boolean, nullable=False, server_default="false")
    )
    op.add_column("units", sa.Column("decontamination_until", TZ))
    op.create_index(
        "ix_units_decontamination",
        "units",
        ["decontamination_until"],
        postgresql_where=sa.text("status = 'decontamination'"),
    )


def downgrade() -> None:
    op.execute(
        "UPDATE units SET status = 'available', status_at = now() WHERE status = 'decontamination'"
    )
    op.drop_index("ix_units_decontamination", table_name="units")
    for column in ("decontamination_until", "infectious_load", "isolation"):
        op.drop_column("units", column)
    for column in ("infectious_reason", "infectious"):
        op.drop_column("incidents", column)
