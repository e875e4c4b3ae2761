"""login sessions; accounts that must change their password; login throttling

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

* ``sessions``: one row per login (``dispatch.store.sessions``, rules in
  ``dispatch.domain.sessions``). Access tokens name it (``sid``); the refresh token is stored only
  as its SHA-256, and so are the ones it replaced (a replayed one ends the session). A revoked
  session keeps its row (when, why, from where).
* ``users``: ``must_change_password`` (seeded, created and reset accounts), ``created_at``,
  ``password_changed_at``, ``last_login_at``.
* ``login_throttle``: failed logins per account name and per client address
  (``dispatch.domain.throttle``); rows whose window has passed are deleted as failures come in.

The application role (0007) gets SELECT, INSERT, UPDATE, DELETE on the new tables through the
schema's default privileges: sessions are revoked and touched, throttle rows cleared.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default="false"),
    )
    op.add_column(
        "users", sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now())
    )
    op.add_column("users", sa.Column("password_changed_at", TZ))
    op.add_column("users", sa.Column("last_login_at", TZ))
    op.create_check_constraint(
        "ck_users_role",
        "users",
        "role IN ('dispatcher', 'supervisor', 'crew', 'hospital', 'admin', 'auditor')",
    )

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "username",
            sa.String(100),
            sa.ForeignKey("users.username", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("idle_timeout_s", sa.Integer(), nullable=False),
        sa.Column("refresh_hash", sa.LargeBinary(), nullable=False),
        sa.Column(
            "retired_refresh_hashes",
            postgresql.ARRAY(sa.LargeBinary()),
            nullable=False,
            server_default="{}",
        ),
        sa.Column("revoked_at", TZ),
        sa.Column("revoke_reason", sa.String(40)),
        sa.Column("client", sa.String(100)),
        sa.CheckConstraint("octet_length(refresh_hash) = 32", name="ck_sessions_refresh_hash"),
        sa.CheckConstraint("idle_timeout_s > 0", name="ck_sessions_idle"),
    )
    op.create_index(
        "ix_sessions_username_live",
        "sessions",
        ["username"],
        postgresql_where=sa.text("revoked_at IS NULL"),
    )

    op.create_table(
        "login_throttle",
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", TZ),
        sa.Column("locked_until", TZ),
        sa.Column("last_failure_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
        sa.CheckConstraint("kind IN ('account', 'client')", name="ck_login_throttle_kind"),
    )
    op.create_index("ix_login_throttle_last_failure", "login_throttle", ["last_failure_at"])


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_table("sessions")
    op.drop_constraint("ck_users_role", "users")
    for column in ("last_login_at", "password_changed_at", "created_at", "must_change_password"):
        op.drop_column("users", column)
