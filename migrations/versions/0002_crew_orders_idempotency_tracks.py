"""crew orders idempotency tracks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "client_cursors",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.PrimaryKeyConstraint("unit_id", "client_id"),
    )
    op.create_geospatial_table(
        "unit_positions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "position",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_unit_positions_unit_time", "unit_positions", ["unit_id", "reported_at"], unique=False
    )
    op.add_column(
        "assignments", sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("units", sa.Column("order_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "units", sa.Column("order_acknowledged_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Units already out on a job keep their order, taken as acknowledged (they were already moving).
    op.execute(
        "UPDATE units u SET order_id = (SELECT max(a.id) FROM assignments a "
        "WHERE a.unit_id = u.id AND a.incident_id = u.incident_id), "
        "order_acknowledged_at = status_at WHERE incident_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("units", "order_acknowledged_at")
    op.drop_column("units", "order_id")
    op.drop_column("assignments", "acknowledged_at")
    op.drop_index("ix_unit_positions_unit_time", table_name="unit_positions")
    op.drop_geospatial_table("unit_positions")
    op.drop_table("client_cursors")
    op.drop_table("idempotency_keys")
