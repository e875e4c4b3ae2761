"""events and unit_positions partitioned by month; partition upkeep and GPS-track retention

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Why: a centre keeps its event log for good (it is the legal record) and a GPS fix per unit
every few seconds, year after year. Monthly partitions keep each month's indexes small, let a
supervisor's review of last month touch last month's partition only, and let retention drop a
whole month of GPS track in one cheap statement instead of deleting rows one by one.

* ``events`` is partitioned by ``recorded_at`` (the server's clock: a crew's offline queue may
  report an ``occurred_at`` days late, and the log's partition must not depend on a device).
  Its primary key becomes ``(seq, recorded_at)`` (PostgreSQL requires the partition key in
  every unique index); ``seq`` stays unique because only the chain trigger draws it, under the
  event lock. The hash chain, its triggers and the append-only rules are recreated on the
  partitioned table and cloned by PostgreSQL onto every partition.
* ``unit_positions`` is partitioned by ``reported_at`` (the time of the fix: retention is "GPS
  older than N days"); its primary key becomes ``(id, reported_at)``; the replay guard
  ``(unit_id, reported_at)`` already holds the key.
* Each table has a ``DEFAULT`` partition, so an insert never fails for want of a month: nothing
  accepted is ever lost. ``ensure_log_partitions(months_ahead)`` creates the missing months from
  the current one on (the server calls it at start and every few hours); a month whose rows
  already sit in the default partition is reported, not created (PostgreSQL would refuse).
* ``drop_position_partitions_before(cutoff)`` drops whole months of GPS track that end before
  ``cutoff`` (and deletes older fixes from the default partition). Events have no retention.
* Both functions are ``SECURITY DEFINER`` (they run as the schema owner, who owns the tables)
  and only the application role may execute them: the server's login has no DDL rights itself.

Existing rows are copied with their ``seq``, ``hash`` and ids unchanged, so the chain verifies
before and after.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from dispatch.config import app_role_for

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_LOCK_KEY = 0x60_1D_E4
GENESIS = "'\\x" + "00" * 32 + "'::bytea"
#: A key of its own: partition upkeep by two workers at once must not race on CREATE TABLE.
PARTITION_LOCK_KEY = 0x60_1D_9A
#: Months created ahead at migration time (the server keeps the window moving).
MONTHS_AHEAD = 3

EVENT_COLUMNS = "seq, name, occurred_at, recorded_at, actor, incident_id, unit_id, payload, hash"
POSITION_COLUMNS = "id, unit_id, position, reported_at, recorded_at"

CHAIN_EVENT_TEXT = """
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
"""

CHAIN_EVENTS = f"""
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
"""

ENSURE_PARTITIONS = f"""
CREATE FUNCTION public.ensure_log_partitions(months_ahead integer)
RETURNS TABLE (partition text, outcome text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    parent text;
    first date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    month date;
    name text;
    low timestamptz;
    high timestamptz;
    key text;
    held boolean;
    grantee text;
BEGIN
    IF months_ahead < 0 OR months_ahead > 36 THEN
        RAISE EXCEPTION 'months_ahead must be 0..36, not %', months_ahead;
    END IF;
    PERFORM pg_advisory_xact_lock({PARTITION_LOCK_KEY});
    FOREACH parent IN ARRAY ARRAY['events', 'unit_positions'] LOOP
        key := CASE parent WHEN 'events' THEN 'recorded_at' ELSE 'reported_at' END;
        FOR i IN 0..months_ahead LOOP
            month := (first + make_interval(months => i))::date;
            name := parent || '_' || to_char(month, 'YYYY_MM');
            CONTINUE WHEN to_regclass('public.' || name) IS NOT NULL;
            low := month::timestamp AT TIME ZONE 'UTC';
            high := (month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
            EXECUTE format(
                'SELECT EXISTS (SELECT 1 FROM public.%I WHERE %I >= $1 AND %I < $2)',
                parent || '_default', key, key
            ) INTO held USING low, high;
            IF held THEN
                partition := name;
                outcome := 'rows-in-default';
                RETURN NEXT;
                CONTINUE;
            END IF;
            EXECUTE format(
                'CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES FROM (%L) TO (%L)',
                name, parent, low, high
            );
            IF parent = 'events' THEN
                -- the log stays append-only for every login, on each month as on the whole
                FOR grantee IN
                    SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
                    WHERE g.table_schema = 'public' AND g.table_name = name
                      AND g.privilege_type IN ('UPDATE', 'DELETE') AND g.grantee <> current_user
                LOOP
                    EXECUTE format('REVOKE UPDATE, DELETE ON public.%I FROM %I', name, grantee);
                END LOOP;
            END IF;
            partition := name;
            outcome := 'created';
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$
"""

DROP_OLD_POSITIONS = f"""
CREATE FUNCTION public.drop_position_partitions_before(cutoff timestamptz)
RETURNS TABLE (partition text, fixes bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    n bigint;
BEGIN
    PERFORM pg_advisory_xact_lock({PARTITION_LOCK_KEY});
    FOR r IN
        SELECT c.relname AS name,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]
                   AS upper_text
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'public.unit_positions'::regclass
    LOOP
        CONTINUE WHEN r.upper_text IS NULL;  -- the default partition
        CONTINUE WHEN r.upper_text::timestamptz > cutoff;
        EXECUTE format('SELECT count(*) FROM public.%I', r.name) INTO n;
        EXECUTE format('DROP TABLE public.%I', r.name);
        partition := r.name;
        fixes := n;
        RETURN NEXT;
    END LOOP;
    DELETE FROM public.unit_positions_default WHERE reported_at < cutoff;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        partition := 'unit_positions_default';
        fixes := n;
        RETURN NEXT;
    END IF;
END
$$
"""


def _months(bind: sa.engine.Connection, table: str, key: str) -> list[datetime]:
    """First days (UTC) of the months that hold rows of ``table`` by ``key``, up to the current
    month plus :data:`MONTHS_AHEAD`."""
    oldest = bind.execute(
        sa.text(f"SELECT min({key}) FROM {table}")  # noqa: S608 - our own names
    ).scalar_one()
    now = datetime.now(UTC)
    start = oldest.astimezone(UTC) if oldest is not None and oldest < now else now
    month = datetime(start.year, start.month, 1, tzinfo=UTC)
    end_index = now.year * 12 + now.month - 1 + MONTHS_AHEAD
    out = []
    while month.year * 12 + month.month - 1 <= end_index:
        out.append(month)
        month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
    return out


def _partitions(parent: str, months: list[datetime]) -> None:
    op.execute(f"CREATE TABLE {parent}_default PARTITION OF {parent} DEFAULT")
    for month in months:
        following = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
        op.execute(
            f"CREATE TABLE {parent}_{month:%Y_%m} PARTITION OF {parent} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
        )


def _role() -> str:
    return app_role_for(op.get_bind().execute(sa.text("SELECT current_database()")).scalar_one())


def _grant(statement: str) -> None:
    """Run a GRANT/REVOKE naming the application role, quoted by ``format('%I')``."""
    bind = op.get_bind()
    sql = bind.execute(
        sa.text("SELECT format(CAST(:t AS text), CAST(:r AS text))"),
        {"t": statement, "r": _role()},
    ).scalar_one()
    bind.execute(sa.text(sql))


def _append_only_triggers() -> None:
    op.execute(
        "CREATE TRIGGER events_chain BEFORE INSERT ON events "
        "FOR EACH ROW EXECUTE FUNCTION public.chain_events()"
    )
    op.execute(
        "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION public.refuse_rewrite()"
    )
    op.execute(
        "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_rewrite()"
    )
    for trigger in ("chain", "append_only", "no_truncate"):
        op.execute(f"ALTER TABLE events ENABLE ALWAYS TRIGGER events_{trigger}")


def _drop_chain() -> None:
    for trigger in ("chain", "append_only", "no_truncate"):
        op.execute(f"DROP TRIGGER events_{trigger} ON events")
    op.execute("DROP FUNCTION public.chain_events()")
    op.execute("DROP FUNCTION public.chain_event_text(public.events)")


def upgrade() -> None:
    bind = op.get_bind()
    op.execute("LOCK TABLE events, unit_positions IN ACCESS EXCLUSIVE MODE")
    event_months = _months(bind, "events", "recorded_at")
    position_months = _months(bind, "unit_positions", "reported_at")

    # -- events ---------------------------------------------------------------------------
    _drop_chain()
    op.execute("ALTER SEQUENCE events_seq_seq OWNED BY NONE")
    op.execute("ALTER TABLE events RENAME TO events_unpartitioned")
    for index in ("events_pkey", "ix_events_incident_id", "ix_events_unit_id"):
        op.execute(f"ALTER INDEX {index} RENAME TO {index.replace('events', 'events_old', 1)}")
    op.execute(
        """
        CREATE TABLE events (
            seq bigint NOT NULL,
            name varchar(60) NOT NULL,
            occurred_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            actor varchar(100) NOT NULL,
            incident_id bigint,
            unit_id integer,
            payload jsonb NOT NULL,
            hash bytea NOT NULL,
            CONSTRAINT events_pkey PRIMARY KEY (seq, recorded_at),
            CONSTRAINT ck_events_hash CHECK (octet_length(hash) = 32)
        ) PARTITION BY RANGE (recorded_at)
        """
    )
    op.execute("CREATE INDEX ix_events_incident_id ON events (incident_id)")
    op.execute("CREATE INDEX ix_events_unit_id ON events (unit_id)")
    _partitions("events", event_months)
    op.execute(
        f"INSERT INTO events ({EVENT_COLUMNS}) "
        f"SELECT {EVENT_COLUMNS} FROM events_unpartitioned ORDER BY seq"
    )
    op.execute("DROP TABLE events_unpartitioned")
    op.execute("ALTER SEQUENCE events_seq_seq OWNED BY events.seq")
    op.execute(CHAIN_EVENT_TEXT)
    op.execute(CHAIN_EVENTS)
    _append_only_triggers()
    op.execute(
        "COMMENT ON COLUMN events.hash IS 'SHA-256 chain by seq; see dispatch/store/audit.py'"
    )
    op.execute(
        "COMMENT ON TABLE events IS 'The event log, partitioned by month of recorded_at; "
        "append-only and hash-chained by seq'"
    )

    # -- unit_positions -------------------------------------------------------------------
    op.execute("ALTER SEQUENCE unit_positions_id_seq OWNED BY NONE")
    op.execute("ALTER TABLE unit_positions RENAME TO unit_positions_unpartitioned")
    for index in (
        "unit_positions_pkey",
        "ux_unit_positions_unit_time",
        "ix_unit_positions_recorded_at",
    ):
        op.execute(f"ALTER INDEX {index} RENAME TO {index.replace('positions', 'positions_old')}")
    op.execute(
        """
        CREATE TABLE unit_positions (
            id bigint NOT NULL DEFAULT nextval('unit_positions_id_seq'),
            unit_id integer NOT NULL,
            position geometry(POINT, 4326) NOT NULL,
            reported_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT unit_positions_pkey PRIMARY KEY (id, reported_at)
        ) PARTITION BY RANGE (reported_at)
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX ux_unit_positions_unit_time ON unit_positions (unit_id, reported_at)"
    )
    op.execute("CREATE INDEX ix_unit_positions_recorded_at ON unit_positions (recorded_at)")
    _partitions("unit_positions", position_months)
    op.execute(
        f"INSERT INTO unit_positions ({POSITION_COLUMNS}) "
        f"SELECT {POSITION_COLUMNS} FROM unit_positions_unpartitioned"
    )
    op.execute("DROP TABLE unit_positions_unpartitioned")
    op.execute(
        "ALTER TABLE unit_positions ADD CONSTRAINT unit_positions_unit_id_fkey "
        "FOREIGN KEY (unit_id) REFERENCES units (id)"
    )
    op.execute("ALTER SEQUENCE unit_positions_id_seq OWNED BY unit_positions.id")
    op.execute(
        "COMMENT ON TABLE unit_positions IS 'Every accepted GPS fix, partitioned by month of "
        "reported_at; months older than the retention setting are dropped'"
    )

    # -- upkeep and privileges --------------------------------------------------------------
    op.execute(ENSURE_PARTITIONS)
    op.execute(DROP_OLD_POSITIONS)
    for function in (
        "ensure_log_partitions(integer)",
        "drop_position_partitions_before(timestamptz)",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
        _grant(f"GRANT EXECUTE ON FUNCTION public.{function} TO %1$I")
    # New tables got the default privileges; the log stays append-only for the server's login.
    _grant("GRANT SELECT, INSERT ON TABLE public.events TO %1$I")
    _grant("REVOKE UPDATE, DELETE ON TABLE public.events FROM %1$I")
    _grant("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.unit_positions TO %1$I")
    for name in _partition_names(bind, "events"):
        _grant(f"REVOKE UPDATE, DELETE ON TABLE public.{name} FROM %1$I")


def _partition_names(bind: sa.engine.Connection, parent: str) -> list[str]:
    rows = bind.execute(
        sa.text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:p AS regclass) ORDER BY c.relname"
        ),
        {"p": f"public.{parent}"},
    )
    return list(rows.scalars())


def downgrade() -> None:
    bind = op.get_bind()
    op.execute("LOCK TABLE events, unit_positions IN ACCESS EXCLUSIVE MODE")
    op.execute("DROP FUNCTION public.drop_position_partitions_before(timestamptz)")
    op.execute("DROP FUNCTION public.ensure_log_partitions(integer)")

    _drop_chain()
    op.execute("ALTER SEQUENCE events_seq_seq OWNED BY NONE")
    op.execute("ALTER TABLE events RENAME TO events_partitioned")
    for index in ("events_pkey", "ix_events_incident_id", "ix_events_unit_id"):
        op.execute(f"ALTER INDEX {index} RENAME TO {index.replace('events', 'events_part', 1)}")
    op.execute(
        """
        CREATE TABLE events (
            seq bigint NOT NULL PRIMARY KEY,
            name varchar(60) NOT NULL,
            occurred_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            actor varchar(100) NOT NULL,
            incident_id bigint,
            unit_id integer,
            payload jsonb NOT NULL,
            hash bytea NOT NULL,
            CONSTRAINT ck_events_hash CHECK (octet_length(hash) = 32)
        )
        """
    )
    op.execute("CREATE INDEX ix_events_incident_id ON events (incident_id)")
    op.execute("CREATE INDEX ix_events_unit_id ON events (unit_id)")
    op.execute(
        f"INSERT INTO events ({EVENT_COLUMNS}) "
        f"SELECT {EVENT_COLUMNS} FROM events_partitioned ORDER BY seq"
    )
    op.execute("DROP TABLE events_partitioned")
    op.execute("ALTER SEQUENCE events_seq_seq OWNED BY events.seq")
    op.execute(CHAIN_EVENT_TEXT)
    op.execute(CHAIN_EVENTS)
    _append_only_triggers()

    op.execute("ALTER SEQUENCE unit_positions_id_seq OWNED BY NONE")
    op.execute("ALTER TABLE unit_positions RENAME TO unit_positions_partitioned")
    for index in (
        "unit_positions_pkey",
        "ux_unit_positions_unit_time",
        "ix_unit_positions_recorded_at",
    ):
        op.execute(f"ALTER INDEX {index} RENAME TO {index.replace('positions', 'positions_part')}")
    op.execute(
        """
        CREATE TABLE unit_positions (
            id bigint NOT NULL DEFAULT nextval('unit_positions_id_seq') PRIMARY KEY,
            unit_id integer NOT NULL,
            position geometry(POINT, 4326) NOT NULL,
            reported_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX ux_unit_positions_unit_time ON unit_positions (unit_id, reported_at)"
    )
    op.execute("CREATE INDEX ix_unit_positions_recorded_at ON unit_positions (recorded_at)")
    op.execute(
        f"INSERT INTO unit_positions ({POSITION_COLUMNS}) "
        f"SELECT {POSITION_COLUMNS} FROM unit_positions_partitioned"
    )
    op.execute("DROP TABLE unit_positions_partitioned")
    op.execute(
        "ALTER TABLE unit_positions ADD CONSTRAINT unit_positions_unit_id_fkey "
        "FOREIGN KEY (unit_id) REFERENCES units (id)"
    )
    op.execute("ALTER SEQUENCE unit_positions_id_seq OWNED BY unit_positions.id")
    _grant("GRANT SELECT, INSERT ON TABLE public.events TO %1$I")
    _grant("REVOKE UPDATE, DELETE ON TABLE public.events FROM %1$I")
    _grant("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.unit_positions TO %1$I")
    del bind
