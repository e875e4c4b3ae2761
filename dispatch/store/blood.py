"""Storage of the emergency blood supply (migration 0015): banks, lots, requests, reservations,
couriers and delivery jobs.

One repository over the unit of work's connection, like the others in ``dispatch.store``: the
rows change in the same transaction as the events that record the change.

No unit is ever allocated twice. :meth:`SqlBloodRepository.lock_lots` takes row locks
(``SELECT ... FOR UPDATE``) on every lot that could serve a request, in ``id`` order, and the
allocation, the decrement of ``blood_lots.units`` and the reservation rows are written before the
transaction commits. Why row locks and not an advisory lock: they serialise exactly the requests
that compete for the same lots (two hospitals asking for platelets and O-negative red cells do
not wait for each other), they are released by the commit or rollback that ends the transaction
(nothing to forget on an error path), and under READ COMMITTED a request that waited re-reads
the units the winner left. Locking in ``id`` order means two requests whose compatible sets
overlap (an A+ and an O- patient both may take O- lots) lock in the same order and cannot
deadlock. ``ck_blood_lots_units`` (``units >= 0``) is the last line of defence: a bug that skipped
the locks would abort on the constraint rather than hand out a unit twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from dispatch.domain.blood import (
    AboRh,
    AllocationLine,
    BloodRequest,
    Box,
    DeliveryJob,
    JobState,
    Product,
    StockLot,
    Urgency,
)
from dispatch.domain.errors import NotFound
from dispatch.domain.geo import Location
from dispatch.domain.text import Text
from dispatch.services.ports import BloodBank, RequestStatus, StoredBloodRequest
from dispatch.store import tables as t
from dispatch.store.geo import location_from, lon_lat, point


class SqlBloodRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # -- banks -----------------------------------------------------------------------------

    async def add_bank(self, code: str, name: str, location: Location, at: datetime) -> int | None:
        """Insert a bank; None when its code or name is taken."""
        done = await self._conn.execute(
            pg_insert(t.blood_banks)
            .values(code=code, name=name, location=point(location), updated_at=at)
            .on_conflict_do_nothing()
            .returning(t.blood_banks.c.id)
        )
        found = done.scalar_one_or_none()
        return None if found is None else int(found)

    async def banks(self) -> list[BloodBank]:
        b = t.blood_banks.c
        rows = await self._conn.execute(
            select(b.id, b.code, b.name, *lon_lat(b.location, "location")).order_by(b.id)
        )
        return [_bank(r) for r in rows]

    async def bank(self, bank_id: int) -> BloodBank:
        b = t.blood_banks.c
        row = (
            await self._conn.execute(
                select(b.id, b.code, b.name, *lon_lat(b.location, "location")).where(
                    b.id == bank_id
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"No blood bank with id {bank_id}")
        return _bank(row)

    # -- stock -----------------------------------------------------------------------------

    async def lots(self) -> list[StockLot]:
        lot = t.blood_lots.c
        rows = await self._conn.execute(
            select(t.blood_lots).order_by(lot.bank_id, lot.product, lot.expires_at, lot.lot)
        )
        return [_lot(r) for r in rows]

    async def set_lot(self, lot: StockLot, at: datetime) -> int | None:
        """Create or overwrite a lot's free units, group and expiry; the units it had before
        (None: a new lot). Takes the lot's row lock, so it waits for an allocation in flight."""
        c = t.blood_lots.c
        before = (
            await self._conn.execute(
                select(c.units)
                .where(
                    c.bank_id == lot.bank_id, c.lot == lot.lot_id, c.product == lot.product.value
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        values = {
            "abo_rh": lot.group.value,
            "units": lot.units,
            "expires_at": lot.expires_at,
            "updated_at": at,
        }
        await self._conn.execute(
            pg_insert(t.blood_lots)
            .values(bank_id=lot.bank_id, lot=lot.lot_id, product=lot.product.value, **values)
            .on_conflict_do_update(constraint="uq_blood_lots_bank_lot_product", set_=values)
        )
        return None if before is None else int(before)

    async def lock_lots(self, product: Product, groups: Sequence[AboRh]) -> list[StockLot]:
        """The lots with free units that could serve a patient of ``groups``, row-locked in id
        order until the transaction ends (see the module docstring)."""
        c = t.blood_lots.c
        rows = await self._conn.execute(
            select(t.blood_lots)
            .where(
                c.product == product.value,
                c.abo_rh.in_([g.value for g in groups]),
                c.units > 0,
            )
            .order_by(c.id)
            .with_for_update()
        )
        return [_lot(r) for r in rows]

    async def take(self, line: AllocationLine, product: Product) -> None:
        c = t.blood_lots.c
        await self._conn.execute(
            update(t.blood_lots)
            .where(c.bank_id == line.bank_id, c.lot == line.lot_id, c.product == product.value)
            .values(units=c.units - line.units)
        )

    # -- requests and reservations ---------------------------------------------------------

    async def next_request_id(self) -> int:
        found = await self._conn.execute(select(func.nextval("blood_requests_id_seq")))
        return int(found.scalar_one())

    async def add_request(self, stored: StoredBloodRequest, at: datetime) -> None:
        r = stored.request
        await self._conn.execute(
            t.blood_requests.insert().values(
                id=r.request_id,
                hospital_id=r.hospital_id,
                product=r.product.value,
                abo_rh=r.group.value,
                units=r.units,
                urgency=r.urgency.value,
                accept_partial=stored.accept_partial,
                requested_at=r.requested_at,
                deadline=r.deadline,
                requested_by=stored.requested_by,
                **_request_state(stored),
                updated_at=at,
            )
        )

    async def save_request(self, stored: StoredBloodRequest, at: datetime) -> None:
        await self._conn.execute(
            update(t.blood_requests)
            .where(t.blood_requests.c.id == stored.request.request_id)
            .values(**_request_state(stored), updated_at=at)
        )

    async def request(self, request_id: int, *, lock: bool = False) -> StoredBloodRequest:
        query = select(t.blood_requests).where(t.blood_requests.c.id == request_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).one_or_none()
        if row is None:
            raise NotFound(f"No blood request with id {request_id}")
        return _request(row)

    async def requests(self, hospital_id: int | None = None) -> list[StoredBloodRequest]:
        """Requests, newest first; ``hospital_id``: that hospital's only."""
        c = t.blood_requests.c
        query = select(t.blood_requests).order_by(c.id.desc())
        if hospital_id is not None:
            query = query.where(c.hospital_id == hospital_id)
        return [_request(r) for r in await self._conn.execute(query)]

    async def reserve(
        self, request_id: int, product: Product, lines: Sequence[AllocationLine], at: datetime
    ) -> None:
        """Hold ``lines`` for the request: the lots lose the units, the reservations gain them.
        Call under :meth:`lock_lots`' locks, in the same transaction."""
        if not lines:
            return
        c = t.blood_lots.c
        ids = {
            (r.bank_id, r.lot): r.id
            for r in await self._conn.execute(
                select(c.id, c.bank_id, c.lot).where(
                    c.product == product.value,
                    c.lot.in_([line.lot_id for line in lines]),
                )
            )
        }
        for line in lines:
            await self.take(line, product)
        await self._conn.execute(
            t.blood_reservations.insert(),
            [
                {
                    "request_id": request_id,
                    "lot_id": ids[(line.bank_id, line.lot_id)],
                    "units": line.units,
                    "identical": line.identical,
                    "note": None if line.note is None else {"en": line.note.en, "zh": line.note.zh},
                    "reserved_at": at,
                }
                for line in lines
            ],
        )

    async def reservations(self, request_ids: Sequence[int]) -> dict[int, list[AllocationLine]]:
        """Per request, the lines held for it in allocation order."""
        if not request_ids:
            return {}
        r, lot = t.blood_reservations.c, t.blood_lots.c
        rows = await self._conn.execute(
            select(
                r.request_id,
                r.units,
                r.identical,
                r.note,
                lot.lot,
                lot.bank_id,
                lot.abo_rh,
                lot.expires_at,
            )
            .join(t.blood_lots, lot.id == r.lot_id)
            .where(r.request_id.in_(list(request_ids)))
            .order_by(r.request_id, r.id)
        )
        out: dict[int, list[AllocationLine]] = {}
        for row in rows:
            out.setdefault(row.request_id, []).append(
                AllocationLine(
                    row.lot,
                    row.bank_id,
                    AboRh(row.abo_rh),
                    row.units,
                    row.expires_at,
                    identical=row.identical,
                    note=None if row.note is None else Text(row.note["en"], row.note["zh"]),
                )
            )
        return out

    # -- couriers --------------------------------------------------------------------------

    async def set_courier(self, unit_id: int, capacity: dict[Box, int], at: datetime) -> None:
        values = {
            "cool": capacity.get(Box.COOL, 0),
            "frozen": capacity.get(Box.FROZEN, 0),
            "ambient": capacity.get(Box.AMBIENT, 0),
            "updated_at": at,
        }
        await self._conn.execute(
            pg_insert(t.blood_couriers)
            .values(unit_id=unit_id, **values)
            .on_conflict_do_update(index_elements=["unit_id"], set_=values)
        )

    async def couriers(self) -> dict[int, dict[Box, int]]:
        rows = await self._conn.execute(
            select(t.blood_couriers).order_by(t.blood_couriers.c.unit_id)
        )
        return {
            r.unit_id: {Box.COOL: r.cool, Box.FROZEN: r.frozen, Box.AMBIENT: r.ambient}
            for r in rows
        }

    # -- delivery jobs ---------------------------------------------------------------------

    async def next_job_id(self) -> int:
        found = await self._conn.execute(select(func.nextval("blood_jobs_id_seq")))
        return int(found.scalar_one())

    async def add_job(self, job: DeliveryJob) -> None:
        await self._conn.execute(
            t.blood_jobs.insert().values(
                id=job.id,
                request_id=job.request_id,
                bank_id=job.bank_id,
                hospital_id=job.hospital_id,
                product=job.product.value,
                units=job.units,
                lots=list(job.lot_ids),
                **_job_state(job),
            )
        )

    async def save_job(self, job: DeliveryJob) -> None:
        await self._conn.execute(
            update(t.blood_jobs).where(t.blood_jobs.c.id == job.id).values(**_job_state(job))
        )

    async def job(self, job_id: int, *, lock: bool = False) -> DeliveryJob:
        query = select(t.blood_jobs).where(t.blood_jobs.c.id == job_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).one_or_none()
        if row is None:
            raise NotFound(f"No blood delivery job with id {job_id}")
        return _job(row)

    async def jobs(
        self,
        *,
        request_ids: Sequence[int] | None = None,
        unit_id: int | None = None,
        open_only: bool = False,
    ) -> list[DeliveryJob]:
        c = t.blood_jobs.c
        query = select(t.blood_jobs).order_by(c.id)
        if request_ids is not None:
            query = query.where(c.request_id.in_(list(request_ids)))
        if unit_id is not None:
            query = query.where(c.unit_id == unit_id)
        if open_only:
            query = query.where(c.state.in_((JobState.ASSIGNED.value, JobState.PICKED_UP.value)))
        return [_job(r) for r in await self._conn.execute(query)]


def _bank(row: Any) -> BloodBank:
    location = location_from(row, "location")
    assert location is not None
    return BloodBank(row.id, row.code, row.name, location)


def _lot(row: Any) -> StockLot:
    return StockLot(
        row.lot, row.bank_id, Product(row.product), AboRh(row.abo_rh), row.units, row.expires_at
    )


def _request_state(stored: StoredBloodRequest) -> dict[str, Any]:
    return {
        "status": stored.status.value,
        "reserved_units": stored.reserved_units,
        "refusal_code": stored.refusal_code,
        "refusal": stored.refusal,
    }


def _request(row: Any) -> StoredBloodRequest:
    return StoredBloodRequest(
        request=BloodRequest(
            row.id,
            row.hospital_id,
            Product(row.product),
            AboRh(row.abo_rh),
            row.units,
            Urgency(row.urgency),
            row.requested_at,
            row.deadline,
        ),
        status=RequestStatus(row.status),
        requested_by=row.requested_by,
        accept_partial=row.accept_partial,
        reserved_units=row.reserved_units,
        refusal_code=row.refusal_code,
        refusal=row.refusal,
    )


def _job_state(job: DeliveryJob) -> dict[str, Any]:
    return {
        "unit_id": job.unit_id,
        "state": job.state.value,
        "assigned_at": job.assigned_at,
        "picked_up_at": job.picked_up_at,
        "delivered_at": job.delivered_at,
        "cancelled_at": job.cancelled_at,
        "handover_by": job.handover_by,
        "cancel_reason": job.cancel_reason,
    }


def _job(row: Any) -> DeliveryJob:
    return DeliveryJob(
        id=row.id,
        request_id=row.request_id,
        bank_id=row.bank_id,
        hospital_id=row.hospital_id,
        product=Product(row.product),
        units=row.units,
        lot_ids=tuple(row.lots),
        unit_id=row.unit_id,
        state=JobState(row.state),
        assigned_at=row.assigned_at,
        picked_up_at=row.picked_up_at,
        delivered_at=row.delivered_at,
        cancelled_at=row.cancelled_at,
        handover_by=row.handover_by,
        cancel_reason=row.cancel_reason,
    )
