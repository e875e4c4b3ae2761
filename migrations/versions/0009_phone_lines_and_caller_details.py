"""phone lines from the PBX; caller name and callback number on incidents; the telephony login

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

* ``phone_calls``: every call a PBX or CTI connector reported (``dispatch.domain.telephony``):
  line, the connector's call id (unique: a retried report finds the call again), caller number,
  name and network location with its uncertainty, and the call's life (ringing, answered, ended).
* ``incidents``: ``caller_name`` and ``caller_callback`` (the number to call back, when the
  caller gives another than the one they call from).
* ``users``: the ``telephony`` role, the connector's machine login.

The application role (0007) gets SELECT, INSERT, UPDATE, DELETE on the new table through the
schema's default privileges: a call's state moves forward in place.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
ROLES = "'dispatcher', 'supervisor', 'crew', 'hospital', 'admin', 'auditor'"


def upgrade() -> None:
    op.create_table(
        "phone_calls",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("line", sa.String(60), nullable=False),
        sa.Column("pbx_call_id", sa.String(100), unique=True),
        sa.Column("caller_number", sa.String(40)),
        sa.Column("caller_name", sa.String(100)),
        sa.Column(
            "caller_location", Geometry("POINT", srid=4326, spatial_index=False), nullable=True
        ),
        sa.Column("caller_accuracy_m", sa.Float()),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("answered_at", TZ),
        sa.Column("answered_by", sa.String(100)),
        sa.Column("ended_at", TZ),
        sa.CheckConstraint(
            "state IN ('ringing', 'answered', 'ended')", name="ck_phone_calls_state"
        ),
    )
    op.create_index(
        "ix_phone_calls_live",
        "phone_calls",
        ["state"],
        postgresql_where=sa.text("state <> 'ended'"),
    )
    op.add_column("incidents", sa.Column("caller_name", sa.String(100)))
    op.add_column("incidents", sa.Column("caller_callback", sa.String(40)))
    op.drop_constraint("ck_users_role", "users")
    op.create_check_constraint("ck_users_role", "users", f"role IN ({ROLES}, 'telephony')")


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'telephony'")
    op.drop_constraint("ck_users_role", "users")
    op.create_check_constraint("ck_users_role", "users", f"role IN ({ROLES})")
    op.drop_column("incidents", "caller_callback")
    op.drop_column("incidents", "caller_name")
    op.drop_table("phone_calls")
