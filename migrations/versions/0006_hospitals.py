"""hospitals: capabilities, ED status, beds; unit destination; hospital logins

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "hospitals",
        sa.Column(
            "capabilities", postgresql.ARRAY(sa.String(20)), nullable=False, server_default="{}"
        ),
    )
    op.add_column(
        "hospitals", sa.Column("ed_status", sa.String(12), nullable=False, server_default="open")
    )
    op.add_column(
        "hospitals", sa.Column("beds_available", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("hospitals", sa.Column("status_at", sa.DateTime(timezone=True)))
    op.add_column(
        "units",
        sa.Column("destination_hospital_id", sa.Integer(), sa.ForeignKey("hospitals.id")),
    )
    op.add_column("users", sa.Column("hospital_id", sa.Integer(), sa.ForeignKey("hospitals.id")))


def downgrade() -> None:
    op.drop_column("users", "hospital_id")
    op.drop_column("units", "destination_hospital_id")
    for column in ("status_at", "beds_available", "ed_status", "capabilities"):
        op.drop_column("hospitals", column)
