"""incidents: cancellation with reason, address verified flag

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("cancelled_at", sa.DateTime(timezone=True)))
    op.add_column("incidents", sa.Column("cancel_reason", sa.Text()))
    op.add_column(
        "incidents",
        sa.Column("address_verified", sa.Boolean(), nullable=False, server_default="false"),
    )
    op.drop_index("ix_incidents_open", table_name="incidents")
    op.create_index(
        "ix_incidents_open",
        "incidents",
        ["status"],
        postgresql_where="status NOT IN ('closed', 'cancelled')",
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_open", table_name="incidents")
    op.create_index(
        "ix_incidents_open", "incidents", ["status"], postgresql_where="status <> 'closed'"
    )
    op.drop_column("incidents", "address_verified")
    op.drop_column("incidents", "cancel_reason")
    op.drop_column("incidents", "cancelled_at")
