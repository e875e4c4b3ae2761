"""triage outcome and caller data on incidents; every call recorded

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = [
    sa.Column("complaint_code", sa.String(60)),
    sa.Column("determinant", sa.String(2)),
    sa.Column("determinant_code", sa.String(80)),
    sa.Column("protocol_version", sa.String(20)),
    sa.Column("needs", postgresql.ARRAY(sa.String(20)), nullable=False, server_default="{}"),
    sa.Column("hospital_capability", sa.String(30)),
    sa.Column("caller_number", sa.String(40)),
    sa.Column(
        "caller_location",
        Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
    ),
    sa.Column("caller_accuracy_m", sa.Float()),
    sa.Column("caller_crs", sa.String(10)),
]


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("incidents", column)
    op.create_table(
        "calls",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("incident_id", sa.BigInteger(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("caller_number", sa.String(40)),
        sa.Column("complaint", sa.Text(), nullable=False),
        sa.Column("linked", sa.Boolean(), nullable=False, server_default="false"),
    )
    op.create_index("ix_calls_incident_id", "calls", ["incident_id"])
    op.create_index("ix_calls_number_time", "calls", ["caller_number", "received_at"])
    # Incidents taken before this version had one call each: record it.
    op.execute(
        "INSERT INTO calls (incident_id, received_at, actor, complaint) "
        "SELECT i.id, i.received_at, coalesce(e.actor, 'unknown'), i.complaint FROM incidents i "
        "LEFT JOIN events e ON e.incident_id = i.id AND e.name = 'CallReceived'"
    )


def downgrade() -> None:
    op.drop_table("calls")
    for column in reversed(_COLUMNS):
        op.drop_column("incidents", column.name)
