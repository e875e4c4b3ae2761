"""track points: a replayed GPS fix is stored once; recent fixes found by recording time

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM unit_positions a USING unit_positions b "
        "WHERE a.unit_id = b.unit_id AND a.reported_at = b.reported_at AND a.id > b.id"
    )
    op.drop_index("ix_unit_positions_unit_time", table_name="unit_positions")
    op.create_index(
        "ux_unit_positions_unit_time", "unit_positions", ["unit_id", "reported_at"], unique=True
    )
    op.create_index("ix_unit_positions_recorded_at", "unit_positions", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_unit_positions_recorded_at", table_name="unit_positions")
    op.drop_index("ux_unit_positions_unit_time", table_name="unit_positions")
    op.create_index("ix_unit_positions_unit_time", "unit_positions", ["unit_id", "reported_at"])
