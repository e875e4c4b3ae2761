"""The console session (``/ws/console``): a snapshot, or the events since ``?since=``, then every
event live, in order, with no gap.

The hub connection is made before the snapshot is read, so an event committed while the snapshot
is being read is queued, not missed; the pump drops what the snapshot already covers (``seq`` at
or below the cursor). A ``since`` the log cannot serve (ahead of it, or further back than the
catch-up window) and a console too slow for its queue are both told to ``resync``.

Every incident payload leaves through ``_shown``, which blanks the caller's data unless the login
may see it (consoles are the floor's, which may: the check costs a comparison per message).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from dispatch.domain.payloads import without_caller
from dispatch.hub.frames import Sender, accept, cancel, resync, serve_requests
from dispatch.hub.hub import Connection, Hub, Positions, Resync, SeesCaller
from dispatch.services.ports import EventRecord
from dispatch.store.reads import ReadModel


@dataclass
class ConsoleSession:
    hub: Hub
    reads: ReadModel
    since: int | None  # resume after this seq; None for a fresh snapshot
    max_catch_up_events: int
    sees_caller: SeesCaller
    #: told of every client message: activity for the login session (``dispatch.hub.watch``)
    on_message: Callable[[], None] | None = None

    async def run(self, ws: WebSocket) -> None:
        """Serve one authenticated console until it disconnects."""
        await accept(ws)
        send = Sender(ws)
        conn = self.hub.connect()  # before reading, so nothing committed later is missed
        pump: list[asyncio.Task[None]] = []
        try:
            if not await self._catch_up(ws, send, conn):
                return
            pump = [asyncio.create_task(_pump(conn, send, ws, self._event, self.hub.pushed))]
            await serve_requests(ws, send, on_message=self.on_message)
        except WebSocketDisconnect:
            pass
        finally:
            self.hub.disconnect(conn)
            await cancel(pump)

    async def _catch_up(self, ws: WebSocket, send: Sender, conn: Connection) -> bool:
        """Bring the console to the hub's cursor; False when it was told to resync instead."""
        if self.since is None:
            snap = await self.reads.snapshot()
            message = snap.as_message()
            message["incidents"] = [self._shown(i, i["id"]) for i in message["incidents"]]
            await send(message)
            conn.last_seq = snap.seq
            return True
        head = await self.reads.last_seq()
        if self.since > head or head - self.since > self.max_catch_up_events:
            await resync(
                ws,
                send,
                f"cannot resume from seq {self.since} (log head {head}); take a fresh snapshot",
            )
            return False
        conn.last_seq = self.since
        for record in await self.reads.events_after(self.since):
            await send(self._event(record))
            conn.last_seq = record.seq
        return True

    def _event(self, record: EventRecord) -> dict[str, Any]:
        return self._shown(record.as_message(), record.incident_id)

    def _shown(self, payload: dict[str, Any], incident_id: int | None) -> dict[str, Any]:
        if self.sees_caller(incident_id, None):
            return payload
        shown: dict[str, Any] = without_caller(payload)
        return shown


async def _pump(
    conn: Connection,
    send: Sender,
    ws: WebSocket,
    event: Callable[[EventRecord], dict[str, Any]],
    pushed: Callable[[EventRecord], None],
) -> None:
    """Forward the hub's queue: events in ``seq`` order (skipping any already sent) and position
    batches as they come; ``pushed`` is told of each event sent (its lag, for ``/metrics``)."""
    while True:
        item = await conn.queue.get()
        if isinstance(item, Resync):
            await resync(ws, send, "console fell behind; take a fresh snapshot")
            return
        if isinstance(item, Positions):
            await send.text(item.text or json.dumps(item.message, separators=(",", ":")))
            continue
        if item.seq <= conn.last_seq:
            continue
        await send(event(item))
        conn.last_seq = item.seq
        pushed(item)
