"""audit table; hash chains on events and audit; append-only triggers; application role

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

What this revision makes true, for everyone including the table owner and a superuser who does
not first disable a trigger (an act of DDL, visible in the server log):

* ``events`` and ``audit`` are append-only: a trigger refuses UPDATE, DELETE and TRUNCATE.
* Every row of both tables carries ``hash`` = SHA-256(previous row's hash || canonical text of
  the row), computed by a BEFORE INSERT trigger; ``goldenhour audit verify`` recomputes both
  chains. The canonical text and the reasons for computing it in the database are in the
  docstring of ``dispatch/store/audit.py``; the SQL here is frozen with this revision and the
  verifier's copy must give the same text (the tamper tests check that they agree).
* The trigger takes each table's advisory lock and draws ``seq`` / ``id`` itself, under that lock,
  so for every writer (not only the unit of work, which already takes the events lock) key order
  is commit order is chain order. ``events.seq`` therefore loses its column default.
* A login role ``<database>_app`` (see ``dispatch.config.app_role_for``) for the server: SELECT and
  INSERT on every table, UPDATE and DELETE on every table but ``events`` and ``audit``, nothing on
  ``alembic_version`` but SELECT, sequences' USAGE, no DDL. Later migrations' tables get the same
  grants by default privileges; a new append-only table must REVOKE UPDATE, DELETE itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from dispatch.config import app_role_for

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: ``dispatch.store.unit_of_work.EVENT_LOCK_KEY``: the trigger takes the lock the unit of work
#: already holds (advisory locks are re-entrant), so nothing waits twice.
EVENT_LOCK_KEY = 0x60_1D_E4
#: A key of its own: audit rows are written outside event transactions (a login, a refusal).
AUDIT_LOCK_KEY = 0x60_1D_A7
#: The "previous hash" of the first row of a chain.
GENESIS = "'\\x" + "00" * 32 + "'::bytea"

APPEND_ONLY = ("events", "audit")

#: One statement each: asyncpg prepares what it runs, and a prepared statement is one statement.
FUNCTIONS = (
    """
CREATE FUNCTION public.chain_time(moment timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char(moment AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$
""",
    """
CREATE FUNCTION public.chain_event_text(e public.events) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'seq', e.seq,
        'name', e.name,
        'occurred_at', public.chain_time(e.occurred_at),
        'recorded_at', public.chain_time(e.recorded_at),
        'actor', e.actor,
        'incident_id', e.incident_id,
        'unit_id', e.unit_id,
        'payload', e.payload
    )::text
$$
""",
    """
CREATE FUNCTION public.chain_audit_text(a public.audit) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', a.id,
        'at', public.chain_time(a.at),
        'kind', a.kind,
        'actor', a.actor,
        'subject', a.subject,
        'client', a.client,
        'detail', a.detail
    )::text
$$
""",
    f"""
CREATE FUNCTION public.chain_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous bytea;
BEGIN
    -- Under REPEATABLE READ the snapshot could predate the last commit: the chain would fork.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'events are appended only in READ COMMITTED transactions'
            USING HINT = 'the hash chain must see the last committed event';
    END IF;
    PERFORM pg_advisory_xact_lock({EVENT_LOCK_KEY});
    NEW.seq := nextval('public.events_seq_seq');
    SELECT e.hash INTO previous FROM public.events e ORDER BY e.seq DESC LIMIT 1;
    NEW.hash := sha256(
        coalesce(previous, {GENESIS}) || convert_to(public.chain_event_text(NEW), 'UTF8')
    );
    RETURN NEW;
END
$$
""",
    f"""
CREATE FUNCTION public.chain_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous bytea;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audit rows are appended only in READ COMMITTED transactions'
            USING HINT = 'the hash chain must see the last committed audit row';
    END IF;
    PERFORM pg_advisory_xact_lock({AUDIT_LOCK_KEY});
    NEW.id := nextval('public.audit_id_seq');
    NEW.at := clock_timestamp();  -- the database's clock, read under the lock: at follows id
    SELECT a.hash INTO previous FROM public.audit a ORDER BY a.id DESC LIMIT 1;
    NEW.hash := sha256(
        coalesce(previous, {GENESIS}) || convert_to(public.chain_audit_text(NEW), 'UTF8')
    );
    RETURN NEW;
END
$$
""",
    """
CREATE FUNCTION public.refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'its rows are evidence; record a correcting row instead';
END
$$
""",
)

BACKFILL_EVENTS = f"""
DO $$
DECLARE
    r record;
    previous bytea := {GENESIS};
BEGIN
    FOR r IN SELECT e.seq, public.chain_event_text(e) AS body FROM public.events e ORDER BY e.seq
    LOOP
        previous := sha256(previous || convert_to(r.body, 'UTF8'));
        UPDATE public.events SET hash = previous WHERE seq = r.seq;
    END LOOP;
END
$$;
"""


def _role_sql(template: str, role: str) -> None:
    """Run DDL naming ``role``, quoted by the server's ``format('%I')``, not by string pasting."""
    bind = op.get_bind()
    statement = bind.execute(
        sa.text("SELECT format(CAST(:template AS text), CAST(:role AS text), current_database())"),
        {"template": template, "role": role},
    ).scalar_one()
    bind.execute(sa.text(statement))


def _app_role() -> str:
    return app_role_for(op.get_bind().execute(sa.text("SELECT current_database()")).scalar_one())


def _tables() -> list[str]:
    """Our tables in ``public``: not the ones an extension (PostGIS) owns."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT EXISTS ("
            "  SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "  AND d.objid = c.oid AND d.deptype = 'e') ORDER BY c.relname"
        )
    )
    return list(rows.scalars())


def upgrade() -> None:
    op.execute("LOCK TABLE events IN EXCLUSIVE MODE")  # no event may slip past the backfill
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("subject", sa.String(200)),
        sa.Column("client", sa.String(100)),
        sa.Column("detail", postgresql.JSONB(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("kind ~ '^[a-z][a-z0-9-]*$'", name="ck_audit_kind"),
        sa.CheckConstraint("octet_length(hash) = 32", name="ck_audit_hash"),
    )
    op.execute("CREATE SEQUENCE audit_id_seq OWNED BY audit.id")
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_audit_kind_at", "audit", ["kind", "at"])
    op.add_column("events", sa.Column("hash", sa.LargeBinary()))
    for statement in FUNCTIONS:
        op.execute(statement)
    op.execute(BACKFILL_EVENTS)
    op.alter_column("events", "hash", nullable=False)
    op.create_check_constraint("ck_events_hash", "events", "octet_length(hash) = 32")
    op.alter_column("events", "seq", server_default=None)  # drawn by the trigger, under the lock
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_chain BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION public.chain_{table}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION public.refuse_rewrite()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_rewrite()"
        )
        # ALWAYS: they fire under session_replication_role = replica too, which would otherwise
        # switch every ordinary trigger off for a whole session.
        for trigger in ("chain", "append_only", "no_truncate"):
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_{trigger}")
    op.execute(
        "COMMENT ON TABLE audit IS 'Append-only audit trail, hash-chained by id; "
        "see dispatch/store/audit.py'"
    )
    op.execute(
        "COMMENT ON COLUMN events.hash IS 'SHA-256 chain by seq; see dispatch/store/audit.py'"
    )
    _grant_app_role()


def _grant_app_role() -> None:
    role = _app_role()
    _role_sql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %1$L) THEN "
        "CREATE ROLE %1$I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS; "
        "END IF; END $$",
        role,
    )
    _role_sql("GRANT CONNECT ON DATABASE %2$I TO %1$I", role)
    _role_sql("GRANT USAGE ON SCHEMA public TO %1$I", role)
    for table in _tables():
        if table == "alembic_version":
            privileges = "SELECT"
        elif table in APPEND_ONLY:
            privileges = "SELECT, INSERT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        _role_sql(f"GRANT {privileges} ON TABLE public.{table} TO %1$I", role)
    _role_sql("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO %1$I", role)
    _role_sql(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %1$I",
        role,
    )
    _role_sql("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO %1$I", role)


def downgrade() -> None:
    role = _app_role()
    _role_sql(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %1$L) THEN "
        "DROP OWNED BY %1$I; DROP ROLE %1$I; END IF; END $$",
        role,
    )
    for table in APPEND_ONLY:
        for trigger in ("chain", "append_only", "no_truncate"):
            op.execute(f"DROP TRIGGER {table}_{trigger} ON {table}")
    for function in (
        "refuse_rewrite()",
        "chain_audit()",
        "chain_events()",
        "chain_audit_text(public.audit)",
        "chain_event_text(public.events)",
        "chain_time(timestamptz)",
    ):
        op.execute(f"DROP FUNCTION public.{function}")
    op.execute("ALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval('events_seq_seq')")
    op.drop_constraint("ck_events_hash", "events")
    op.drop_column("events", "hash")
    op.drop_table("audit")  # and its sequence, owned by audit.id
