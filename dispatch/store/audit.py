"""The audit trail, and the hash chains that make ``events`` and ``audit`` tamper-evident.

**What is audited.** Who logged in or failed to, locks, logouts, refusals, every read of caller
data, every export, every change to a user: one row in ``audit`` (id, at, kind, actor, subject,
client, detail, hash), written by ``AuditLog.record`` in a transaction of its own, so a refused
request that rolls back still leaves its row. A failed audit write fails the request (it raises):
an operation that must be audited does not happen unaudited.

**Append-only.** Triggers refuse UPDATE, DELETE and TRUNCATE on ``events`` and ``audit`` for
everyone, the table owner and superusers included, and fire even under
``session_replication_role = replica``; the server's role (``<database>_app``) has no UPDATE or
DELETE privilege on them in the first place. Only ``ALTER TABLE ... DISABLE TRIGGER`` by the owner
gets past, and the chain below then shows what was done.

**The chain.** Every row's ``hash`` (32 bytes) is::

    hash(row n) = SHA-256( hash(row n-1) || UTF-8 bytes of canonical(row n) )

with ``hash(row 0)`` = 32 zero bytes, rows taken in ``seq`` order (events) or ``id`` order
(audit). ``canonical(row)`` is the text output of a jsonb object of the row's columns other than
``hash``, the timestamps written in UTC with microseconds::

    events: jsonb_build_object('seq', seq, 'name', name,
                'occurred_at', <utc>(occurred_at), 'recorded_at', <utc>(recorded_at),
                'actor', actor, 'incident_id', incident_id, 'unit_id', unit_id,
                'payload', payload)::text
    audit:  jsonb_build_object('id', id, 'at', <utc>(at), 'kind', kind, 'actor', actor,
                'subject', subject, 'client', client, 'detail', detail)::text
    <utc>(t) = to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')

e.g. ``{"id": 1, "at": "2026-12-04T15:06:50.156746Z", "kind": "login-failed", "actor": "bob",
"client": "127.0.0.1", "detail": {"reason": "bad-password"}, "subject": null}``: jsonb prints keys
shorter first, then bytewise, with one space after ``:`` and ``,``, SQL NULL as ``null`` and
numbers as stored (``1.50`` stays ``1.50``), so the text is a function of the values alone. The
column list is explicit: a column added later changes no existing hash (and is not covered until
a new chain format says so).

**Where it is computed: in the database**, by a BEFORE INSERT trigger (migration 0007), because
only there does it cover every writer (the unit of work, a seed, a psql session), and only there
is the canonical text made from the stored values (after defaults, ``now()`` and jsonb
normalisation) rather than from what a client thought it sent. The trigger takes the table's
advisory lock (for events the unit of work's ``EVENT_LOCK_KEY``, already held, so nothing waits
twice) and then draws ``seq`` / ``id`` itself: key order is commit order is chain order for
every writer. It refuses transactions other than READ COMMITTED, whose snapshot could miss the
last committed row and fork the chain.

**Verification** (``goldenhour audit verify``, :func:`verify`) does not trust the trigger or the
database's hashing: it reads each row's canonical text with its own copy of the SQL above and
recomputes SHA-256 in Python. A changed row breaks its own hash; a removed or inserted row breaks
the next one's. A chain cannot show rows cut off its end: the head hash that ``verify`` prints is
what an operator copies somewhere else (a shift report) to make that visible too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.store import tables as t

GENESIS = bytes(32)

_UTC = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#: The verifier's copy of the canonical text (migration 0007 holds the trigger's).
EVENT_CANONICAL = (
    "jsonb_build_object('seq', e.seq, 'name', e.name, "
    f"'occurred_at', {_UTC.format('e.occurred_at')}, "
    f"'recorded_at', {_UTC.format('e.recorded_at')}, "
    "'actor', e.actor, 'incident_id', e.incident_id, 'unit_id', e.unit_id, "
    "'payload', e.payload)::text"
)
AUDIT_CANONICAL = (
    f"jsonb_build_object('id', a.id, 'at', {_UTC.format('a.at')}, 'kind', a.kind, "
    "'actor', a.actor, 'subject', a.subject, 'client', a.client, 'detail', a.detail)::text"
)

_KIND = re.compile(r"[a-z][a-z0-9-]{0,39}")
#: Column widths of ``audit``; longer values are cut, never refused: the row must be written.
_WIDTH = {"actor": 200, "subject": 200, "client": 100}
#: A detail larger than this (as JSON) is kept as a cut preview: audit rows are not a data store.
MAX_DETAIL_CHARS = 4000


def chain_hash(previous: bytes, canonical: str) -> bytes:
    """One link of the chain: SHA-256 over the previous hash and the row's canonical text."""
    return hashlib.sha256(previous + canonical.encode("utf-8")).digest()


def _clean(value: str) -> str:
    """What PostgreSQL can store: no NUL (text and jsonb refuse it), no lone surrogates.

    Audit values come from requests (a typed user name, a path): a NUL in one must not make the
    audit write, and so the request, fail.
    """
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {_clean(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


def _detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """JSON-safe detail: anything not JSON (a datetime, an enum) as its string."""
    if not detail:
        return {}
    plain = json.loads(json.dumps(detail, default=str))
    cleaned: dict[str, Any] = _clean_json(plain)
    encoded = json.dumps(cleaned, ensure_ascii=False)
    if len(encoded) > MAX_DETAIL_CHARS:
        return {"truncated": True, "preview": encoded[:MAX_DETAIL_CHARS]}
    return cleaned


class AuditLog:
    """The ``AuditTrail`` port on PostgreSQL: one INSERT per record, in its own transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(
        self,
        kind: str,
        *,
        actor: str | None,
        subject: str | None = None,
        client: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one row; ``id``, ``at`` and ``hash`` are the trigger's to set.

        ``kind`` is ours (a code constant, lowercase words joined by hyphens; a wrong one is a
        bug and raises); the other values may come from a request and are cleaned, never refused.
        """
        kind = str(kind)  # an AuditKind gives its value
        if not _KIND.fullmatch(kind):
            raise ValueError(f"audit kind must be lowercase-with-hyphens, got {kind!r}")
        values: dict[str, Any] = {"kind": kind, "detail": _detail(detail)}
        for name, value in (("actor", actor), ("subject", subject), ("client", client)):
            values[name] = None if value is None else _clean(value)[: _WIDTH[name]]
        async with self._engine.begin() as conn:
            await conn.execute(insert(t.audit).values(**values))


# --- reading the trail ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    kind: str
    actor: str | None
    subject: str | None
    client: str | None
    detail: dict[str, Any]


async def entries(
    engine: AsyncEngine,
    *,
    since: datetime | None = None,
    kinds: Sequence[str] = (),
    actor: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest ``limit`` rows matching the filters, oldest first (the order they are read)."""
    a = t.audit.c
    query = select(a.id, a.at, a.kind, a.actor, a.subject, a.client, a.detail)
    if since is not None:
        query = query.where(a.at >= since)
    if kinds:
        query = query.where(a.kind.in_(list(kinds)))
    if actor is not None:
        query = query.where(a.actor == actor)
    async with engine.connect() as conn:
        rows = (await conn.execute(query.order_by(a.id.desc()).limit(limit))).all()
    return [AuditEntry(*row) for row in reversed(rows)]


# --- verifying the chains ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The outcome of recomputing one table's chain."""

    table: str
    key: str  # "seq" or "id"
    rows: int  # rows read (up to and including the first broken one)
    head: bytes | None  # hash of the last row when the chain holds
    broken: int | None = None  # key of the first row whose hash does not match
    previous: int | None = None  # key of the row before it (a gap hints at a removed row)

    @property
    def ok(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        if self.ok:
            head = self.head.hex() if self.head else "-"
            return f"{self.table}: {self.rows} rows OK, head {head}"
        after = f"{self.key} {self.previous}" if self.previous is not None else "the start"
        return (
            f"{self.table}: BROKEN at {self.key} {self.broken} (after {after}): its hash does "
            "not match its content and the previous hash; this row was changed, or a row "
            "before it was removed, inserted or changed"
        )


_CHAINS = (
    ("events", "seq", f"SELECT e.seq, e.hash, {EVENT_CANONICAL} FROM events e ORDER BY e.seq"),
    ("audit", "id", f"SELECT a.id, a.hash, {AUDIT_CANONICAL} FROM audit a ORDER BY a.id"),
)


async def verify_table(engine: AsyncEngine, table: str) -> ChainCheck:
    """Recompute ``table``'s chain from its first row; stop at the first row that breaks it."""
    _, key, sql = next(c for c in _CHAINS if c[0] == table)
    previous_hash, previous_key, rows = GENESIS, None, 0
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ", yield_per=2000)
        result = await conn.stream(text(sql))
        async for row_key, stored, canonical in result:
            rows += 1
            expected = chain_hash(previous_hash, canonical)
            if stored is None or bytes(stored) != expected:
                await result.close()
                return ChainCheck(table, key, rows, None, row_key, previous_key)
            previous_hash, previous_key = expected, row_key
    return ChainCheck(table, key, rows, previous_hash if rows else None)


async def verify(engine: AsyncEngine) -> list[ChainCheck]:
    """Both chains: the event log and the audit trail."""
    return [await verify_table(engine, table) for table, _, _ in _CHAINS]
