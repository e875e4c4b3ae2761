"""The ``phone_calls`` table: calls the PBX reported, read and written inside a unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from dispatch.domain.errors import NotFound
from dispatch.domain.geo import Location
from dispatch.domain.telephony import CallState, PhoneCall
from dispatch.store import tables as t
from dispatch.store.geo import location_from, lon_lat, point

_COLUMNS = (
    t.phone_calls.c.id,
    t.phone_calls.c.line,
    t.phone_calls.c.pbx_call_id,
    t.phone_calls.c.caller_number,
    t.phone_calls.c.caller_name,
    t.phone_calls.c.caller_accuracy_m,
    t.phone_calls.c.started_at,
    t.phone_calls.c.received_at,
    t.phone_calls.c.state,
    t.phone_calls.c.answered_at,
    t.phone_calls.c.answered_by,
    t.phone_calls.c.ended_at,
    *lon_lat(t.phone_calls.c.caller_location, "caller"),
)


def _from_row(row: Any) -> PhoneCall:
    return PhoneCall(
        id=row.id,
        line=row.line,
        pbx_call_id=row.pbx_call_id,
        number=row.caller_number,
        name=row.caller_name,
        location=location_from(row, "caller"),
        accuracy_m=row.caller_accuracy_m,
        started_at=row.started_at,
        received_at=row.received_at,
        state=CallState(row.state),
        answered_at=row.answered_at,
        answered_by=row.answered_by,
        ended_at=row.ended_at,
    )


class SqlPhoneCallRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        line: str,
        pbx_call_id: str | None,
        number: str | None,
        name: str | None,
        location: Location | None,
        accuracy_m: float | None,
        started_at: datetime,
        received_at: datetime,
    ) -> tuple[PhoneCall, bool]:
        """The new call, True; or, for a ``pbx_call_id`` already reported, that call, False."""
        row = (
            await self._conn.execute(
                insert(t.phone_calls)
                .values(
                    line=line,
                    pbx_call_id=pbx_call_id,
                    caller_number=number,
                    caller_name=name,
                    caller_location=point(location),
                    caller_accuracy_m=accuracy_m,
                    started_at=started_at,
                    received_at=received_at,
                    state=CallState.RINGING.value,
                )
                .on_conflict_do_nothing(index_elements=["pbx_call_id"])
                .returning(t.phone_calls.c.id)
            )
        ).first()
        if row is None:
            found = (
                await self._conn.execute(
                    select(*_COLUMNS).where(t.phone_calls.c.pbx_call_id == pbx_call_id)
                )
            ).one()
            return _from_row(found), False
        return await self.get(row.id), True

    async def get(self, call_id: int, *, lock: bool = False) -> PhoneCall:
        query = select(*_COLUMNS).where(t.phone_calls.c.id == call_id)
        if lock:
            query = query.with_for_update(of=t.phone_calls)
        row = (await self._conn.execute(query)).first()
        if row is None:
            raise NotFound(f"no phone call {call_id}")
        return _from_row(row)

    async def live(self) -> list[PhoneCall]:
        """Calls ringing or in progress, oldest first (the order a call-taker answers them in)."""
        query = (
            select(*_COLUMNS)
            .where(t.phone_calls.c.state != CallState.ENDED.value)
            .order_by(t.phone_calls.c.started_at, t.phone_calls.c.id)
        )
        return [_from_row(r) for r in (await self._conn.execute(query)).all()]

    async def save(self, call: PhoneCall) -> None:
        await self._conn.execute(
            update(t.phone_calls)
            .where(t.phone_calls.c.id == call.id)
            .values(
                state=call.state.value,
                answered_at=call.answered_at,
                answered_by=call.answered_by,
                ended_at=call.ended_at,
            )
        )
