"""A socket lives only as long as the login session it was opened with.

Logging out, deactivating the account, changing its role or unit, resetting its password, the
idle timeout or the end of the shift end the session (``dispatch.domain.sessions``); every open
socket of it must then close, within seconds, with a code the client understands as "log in
again" rather than "reconnect": :data:`SESSION_ENDED_CLOSE_CODE` (4401), reason "session ended".

:class:`SessionWatch` runs a socket session next to a check of its login session every
:data:`CHECK_EVERY_S` seconds (one read by primary key), and tells the check whether the client sent
anything since the last one, which counts as activity against the idle timeout. A check that
fails (the database is restarting) keeps the socket: the next one decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import WebSocket

from dispatch.hub.frames import cancel
from dispatch.socket_protocol import SESSION_ENDED_CLOSE_CODE

log = logging.getLogger("goldenhour.hub")

#: How often an open socket checks its login session: a session that ends closes its sockets
#: within this (plus one read).
CHECK_EVERY_S = 2.0
SESSION_ENDED_REASON = "session ended"

#: ``still_on(active)``: whether the login session lasts; ``active`` when the client sent a
#: message since the last check (record it as activity).
StillOn = Callable[[bool], Awaitable[bool]]


class SessionWatch:
    def __init__(self, still_on: StillOn, *, every_s: float = CHECK_EVERY_S) -> None:
        self._still_on = still_on
        self._every_s = every_s
        self._active = False

    def noticed(self) -> None:
        """A client message arrived (passed to the session as its ``on_message``)."""
        self._active = True

    async def serve(self, ws: WebSocket, session: Coroutine[Any, Any, None]) -> None:
        """Run ``session`` (a socket session's ``run(ws)``) until it ends, or until the login
        session ends: then close the socket with 4401 and stop it."""
        run = asyncio.create_task(session)
        watch = asyncio.create_task(self._watch())
        try:
            await asyncio.wait({run, watch}, return_when=asyncio.FIRST_COMPLETED)
            if run.done():
                run.result()  # the session's own error, if any, as before
                return
            with contextlib.suppress(RuntimeError):  # the client closed it meanwhile
                await ws.close(code=SESSION_ENDED_CLOSE_CODE, reason=SESSION_ENDED_REASON)
        finally:
            await cancel([watch, run])

    async def _watch(self) -> None:
        """Return once the login session has ended."""
        while True:
            await asyncio.sleep(self._every_s)
            active, self._active = self._active, False
            try:
                if not await self._still_on(active):
                    return
            except Exception as exc:  # an outage: keep serving; the next check decides
                log.warning("socket session check failed: %s", exc)
