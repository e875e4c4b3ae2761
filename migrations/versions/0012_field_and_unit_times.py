"""assignments: each responding unit's own NEMSIS times; units: the flags of the last status time

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12

* ``assignments.en_route_at`` ... ``cancelled_at``: eTimes 05, 06, 07, 09, 10, 11, 12, 13 and 14
  of the unit under this order (03 is ``assigned_at``, 04 ``acknowledged_at``). Written from the
  unit's status events, at the time the crew pressed the button (``dispatch.domain.fieldtime``),
  or by a supervisor's correction (``POST /incidents/{id}/times``).
* ``assignments.time_flags``: per element (our stamp name), the reasons a time is suspicious or
  was corrected (``{"en_route": ["clock-skew"], "on_scene": ["corrected"]}``).
* ``units.status_flags``: the same reasons for the unit's current ``status_at``, shown on the
  console and in the crew app until the next status.

Existing orders keep null times: the per-unit history of older incidents is in the event log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMES = (
    "en_route_at",
    "on_scene_at",
    "at_patient_at",
    "left_scene_at",
    "at_landing_area_at",
    "at_destination_at",
    "care_transferred_at",
    "back_in_service_at",
    "cancelled_at",
)


def upgrade() -> None:
    for name in TIMES:
        op.add_column("assignments", sa.Column(name, sa.DateTime(timezone=True)))
    op.add_column(
        "assignments",
        sa.Column("time_flags", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.add_column(
        "units",
        sa.Column(
            "status_flags", ARRAY(sa.String(40)), nullable=False, server_default=sa.text("'{}'")
        ),
    )


def downgrade() -> None:
    op.drop_column("units", "status_flags")
    op.drop_column("assignments", "time_flags")
    for name in reversed(TIMES):
        op.drop_column("assignments", name)
