"""public-health watch: imported count history, signals and the watch's progress

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

Why: signals must work on day one, before the centre has a season of its own calls, so daily
counts per syndrome x area can be imported (``surveillance_history``: counts only, no personal
data, the same shape as the export). Signals are stored (``surveillance_signals``) because a
supervisor acknowledges them and the review page holds their history; the watch records the last
whole day it has judged (``surveillance_progress``) so a restart neither skips nor repeats a day.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "surveillance_history",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("syndrome", sa.String(40), primary_key=True),
        sa.Column("area", sa.String(20), primary_key=True),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("imported_at", TZ, nullable=False),
        sa.CheckConstraint("calls >= 0", name="ck_surveillance_history_calls"),
    )
    op.create_table(
        "surveillance_signals",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("syndrome", sa.String(40), nullable=False),
        sa.Column("areas", ARRAY(sa.String(20)), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("last_seen", sa.Date, nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("observed", sa.Float, nullable=False),
        sa.Column("expected", sa.Float, nullable=False),
        sa.Column("statistic", sa.Float, nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("closed_at", TZ),
        sa.Column("acknowledged_at", TZ),
        sa.Column("acknowledged_by", sa.String(100)),
        sa.Column("acknowledge_note", sa.Text),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_surveillance_signals_status"),
        sa.CheckConstraint("level IN ('warning', 'alert')", name="ck_surveillance_signals_level"),
    )
    op.create_index(
        "ix_surveillance_signals_open",
        "surveillance_signals",
        ["syndrome", "method"],
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_surveillance_signals_since", "surveillance_signals", ["since"])
    op.create_table(
        "surveillance_progress",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_surveillance_progress_one_row"),
    )


def downgrade() -> None:
    op.drop_table("surveillance_progress")
    op.drop_index("ix_surveillance_signals_since", table_name="surveillance_signals")
    op.drop_index("ix_surveillance_signals_open", table_name="surveillance_signals")
    op.drop_table("surveillance_signals")
    op.drop_table("surveillance_history")
