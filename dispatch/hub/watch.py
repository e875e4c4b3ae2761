"""A socket lives only as long as the login session it was opened with.

Logging out, deactivating the account, changing its role or unit, resetting its password, the
idle timeout or the end of the shift end the session (``dispatch.domain.sessions``); every open
socket of it must then close, within seconds, with a code the client understands as "log in
again" rather than "reconnect": :data:`SESSION_ENDED_CLOSE_CODE` (4401), reason "session ended".

The watcher knows every open socket of the process, so it also closes them all when the process
stops (:meth:`SessionWatcher.drain`, from the server's graceful shutdown): with 1012 "service
restart", which clients take as "reconnect now and resume" (``dispatch.socket_protocol``).

One :class:`SessionWatcher` per app process checks the sessions of *all* its open sockets every
:data:`CHECK_EVERY_S` seconds in one call (one read of all their session rows, one write of the
activity worth recording), and tells each socket's :class:`SessionWatch` when its session has
ended. A check per socket would cost a fleet of a thousand crews 500 reads a second, which is
what it did (``bench/load.py --transport ws``: p99 from 0.5 s to 6 s). A check that fails (the
database is restarting) keeps every socket: the next one decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine, Hashable, Mapping
from typing import Any, Generic, TypeVar

from fastapi import WebSocket

from dispatch.hub.frames import cancel
from dispatch.socket_protocol import (
    SERVICE_RESTART_CLOSE_CODE,
    SERVICE_RESTART_REASON,
    SESSION_ENDED_CLOSE_CODE,
)

log = logging.getLogger("goldenhour.hub")

#: How often open sockets have their login sessions checked: a session that ends closes its
#: sockets within this (plus one read).
CHECK_EVERY_S = 2.0
SESSION_ENDED_REASON = "session ended"

#: What identifies a socket's login session to the check (the login the token names).
K = TypeVar("K", bound=Hashable)

#: ``ended_of(watched)``: of the logins ``watched`` (each with whether one of its sockets'
#: clients sent anything since the last check: record it as activity), those whose session has
#: ended. Called once per tick for the whole process.
EndedOf = Callable[[Mapping[K, bool]], Awaitable[Collection[K]]]


class SessionWatch(Generic[K]):
    """One socket's part of the watcher: its activity and whether its session has ended."""

    def __init__(self, watcher: SessionWatcher[K], key: K) -> None:
        self._watcher = watcher
        self.key = key
        self.active = False
        self.ended = asyncio.Event()
        self.restart = asyncio.Event()  # the process is stopping: close with 1012

    def noticed(self) -> None:
        """A client message arrived (passed to the session as its ``on_message``)."""
        self.active = True

    async def serve(self, ws: WebSocket, session: Coroutine[Any, Any, None]) -> None:
        """Run ``session`` (a socket session's ``run(ws)``) until it ends, or until the login
        session ends: then close the socket with 4401 and stop it."""
        run = asyncio.create_task(session)
        ended = asyncio.create_task(self.ended.wait())
        restart = asyncio.create_task(self.restart.wait())
        self._watcher.add(self)
        try:
            await asyncio.wait({run, ended, restart}, return_when=asyncio.FIRST_COMPLETED)
            if run.done():
                run.result()  # the session's own error, if any, as before
                return
            code, reason = (
                (SESSION_ENDED_CLOSE_CODE, SESSION_ENDED_REASON)
                if ended.done()
                else (SERVICE_RESTART_CLOSE_CODE, SERVICE_RESTART_REASON)
            )
            with contextlib.suppress(RuntimeError):  # the client closed it meanwhile
                await ws.close(code=code, reason=reason)
        finally:
            self._watcher.discard(self)
            await cancel([ended, restart, run])


class SessionWatcher(Generic[K]):
    """Checks the login sessions of every open socket of the process, together, every
    ``every_s`` seconds; the loop runs only while a socket is open."""

    def __init__(self, ended_of: EndedOf[K], *, every_s: float = CHECK_EVERY_S) -> None:
        self._ended_of = ended_of
        self._every_s = every_s
        self._watches: dict[K, set[SessionWatch[K]]] = {}
        self._loop: asyncio.Task[None] | None = None

    def watch(self, key: K) -> SessionWatch[K]:
        """A watch for a socket of the login ``key``; it is checked while it serves."""
        return SessionWatch(self, key)

    @property
    def sockets(self) -> int:
        return sum(len(w) for w in self._watches.values())

    def add(self, watch: SessionWatch[K]) -> None:
        self._watches.setdefault(watch.key, set()).add(watch)
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._run(), name="session-watcher")

    def discard(self, watch: SessionWatch[K]) -> None:
        same = self._watches.get(watch.key)
        if same is not None:
            same.discard(watch)
            if not same:
                del self._watches[watch.key]

    async def drain(self, *, wait_s: float = 5.0) -> int:
        """Close every open socket of the process with 1012 "service restart" and wait (at most
        ``wait_s``) until their sessions have ended; the number of sockets told. Called when
        the process stops, after it stopped accepting connections, so clients reconnect to
        another worker."""
        told = 0
        for watches in list(self._watches.values()):
            for w in watches:
                w.restart.set()
                told += 1
        deadline = asyncio.get_running_loop().time() + wait_s
        while self._watches and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        return told

    async def aclose(self) -> None:
        if self._loop is not None:
            await cancel([self._loop])
            self._loop = None

    async def _run(self) -> None:
        while self._watches:
            await asyncio.sleep(self._every_s)
            await self.check()
        self._loop = None

    async def check(self) -> None:
        """One check of every watched session (the loop's tick)."""
        watched: dict[K, bool] = {}
        for key, watches in self._watches.items():
            watched[key] = False
            for w in watches:
                watched[key] |= w.active
                w.active = False
        if not watched:
            return
        try:
            ended = await self._ended_of(watched)
        except Exception as exc:  # an outage: keep serving; the next check decides
            log.warning("socket session check failed: %s", exc)
            return
        for key in ended:
            for w in self._watches.get(key, ()):
                w.ended.set()
