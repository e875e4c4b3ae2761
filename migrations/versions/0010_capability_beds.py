"""hospitals: free beds per speciality (stroke unit, cath lab, trauma bays, ...)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

* ``hospitals.capability_beds``: a JSON object from capability to the free beds the ED reports
  for it (``{"stroke": 1, "pediatric": 0}``). Empty means no separate counts; the ED's
  ``beds_available`` stays the general count. A check keeps it an object, so a bad write fails
  at the database instead of reaching every console.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "hospitals",
        sa.Column(
            "capability_beds", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'")
        ),
    )
    op.create_check_constraint(
        "ck_hospitals_capability_beds_object",
        "hospitals",
        "jsonb_typeof(capability_beds) = 'object'",
    )


def downgrade() -> None:
    op.drop_constraint("ck_hospitals_capability_beds_object", "hospitals")
    op.drop_column("hospitals", "capability_beds")
