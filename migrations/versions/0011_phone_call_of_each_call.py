"""calls: the phone line call each call record was taken on

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

* ``calls.phone_call_id``: the PBX's call (``phone_calls``) a call-taker answered and turned into
  an incident, or linked to one. Unique: one ringing phone is one call record, so a second
  incident cannot be opened from the same call by a double submit or a second call-taker.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "calls",
        sa.Column("phone_call_id", sa.BigInteger(), sa.ForeignKey("phone_calls.id")),
    )
    op.create_unique_constraint("calls_phone_call_id_key", "calls", ["phone_call_id"])


def downgrade() -> None:
    op.drop_constraint("calls_phone_call_id_key", "calls")
    op.drop_column("calls", "phone_call_id")
