"""A socket lives as long as its login session: one watcher per process checks every open
socket's session in one call per tick, closes the sockets of an ended session with 4401, tells
the check which logins were active, and survives a failed check."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import Any

from dispatch.hub.watch import SESSION_ENDED_REASON, SessionWatcher
from dispatch.socket_protocol import (
    SERVICE_RESTART_CLOSE_CODE,
    SERVICE_RESTART_REASON,
    SESSION_ENDED_CLOSE_CODE,
)


class Socket:
    """What the watch needs of a WebSocket: ``close``."""

    def __init__(self) -> None:
        self.closed: tuple[int, str] | None = None

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


async def forever() -> None:
    await asyncio.Event().wait()


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.005)


async def test_one_check_per_tick_covers_every_socket_and_closes_only_the_ended_session() -> None:
    """Three crews' sockets (two of crew-a01, say on a phone and a tablet) and one console:
    each tick asks once for all of them; when crew-a01 logs out, both its sockets close and
    the others stay."""
    asked: list[dict[str, bool]] = []
    logged_out: set[str] = set()

    async def ended_of(watched: Mapping[str, bool]) -> Collection[str]:
        asked.append(dict(watched))
        return {key for key in watched if key in logged_out}

    watcher = SessionWatcher(ended_of, every_s=0.01)
    sockets = {name: Socket() for name in ("a01-phone", "a01-tablet", "a02", "console")}
    keys = {"a01-phone": "crew-a01", "a01-tablet": "crew-a01", "a02": "crew-a02"}
    watches = {name: watcher.watch(keys.get(name, "dispatcher")) for name in sockets}
    served = {
        name: asyncio.create_task(w.serve(sockets[name], forever()))  # type: ignore[arg-type]
        for name, w in watches.items()
    }
    await until(lambda: len(asked) >= 2)
    assert watcher.sockets == 4
    assert set(asked[-1]) == {"crew-a01", "crew-a02", "dispatcher"}  # one entry per login

    watches["a02"].noticed()  # crew-a02 sent a GPS fix: activity against the idle timeout
    seen = len(asked)
    await until(lambda: len(asked) > seen)
    assert asked[seen]["crew-a02"] is True and asked[seen]["dispatcher"] is False

    logged_out.add("crew-a01")
    await asyncio.wait_for(asyncio.gather(served["a01-phone"], served["a01-tablet"]), 2)
    ended = (SESSION_ENDED_CLOSE_CODE, SESSION_ENDED_REASON)
    assert sockets["a01-phone"].closed == ended and sockets["a01-tablet"].closed == ended
    assert sockets["a02"].closed is None and sockets["console"].closed is None
    assert watcher.sockets == 2
    await until(lambda: "crew-a01" not in asked[-1])
    for task in (served["a02"], served["console"]):
        task.cancel()
    await watcher.aclose()


async def test_a_failed_check_keeps_the_sockets_and_the_next_one_decides() -> None:
    calls = 0

    async def ended_of(watched: Mapping[str, bool]) -> Collection[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the database is restarting")
        return set(watched) if calls >= 3 else set()

    watcher = SessionWatcher(ended_of, every_s=0.01)
    ws = Socket()
    await asyncio.wait_for(watcher.watch("dispatcher").serve(ws, forever()), 2)  # type: ignore[arg-type]
    assert calls == 3 and ws.closed is not None


async def test_a_socket_that_ends_by_itself_is_left_alone_and_the_loop_stops() -> None:
    async def ended_of(watched: Mapping[str, bool]) -> Collection[str]:
        raise AssertionError("not asked: the socket ended before the first check")

    async def brief() -> None:
        await asyncio.sleep(0)

    watcher = SessionWatcher(ended_of, every_s=0.05)
    ws: Any = Socket()
    await watcher.watch("crew-a01").serve(ws, brief())
    assert ws.closed is None and watcher.sockets == 0
    await asyncio.sleep(0.1)  # the loop found no socket at its tick and stopped, asking nothing
    assert watcher._loop is None


async def test_drain_closes_every_socket_with_1012_and_waits_for_their_sessions() -> None:
    """The process is stopping: every socket, of every login, is closed with "service restart"
    (the client reconnects to another worker and resumes) and drain returns once all ended."""

    async def ended_of(watched: Mapping[str, bool]) -> Collection[str]:
        return set()

    watcher = SessionWatcher(ended_of, every_s=10)
    sockets = [Socket() for _ in range(3)]
    served = [
        asyncio.create_task(watcher.watch(key).serve(ws, forever()))  # type: ignore[arg-type]
        for key, ws in zip(("dispatcher", "crew-a01", "crew-a01"), sockets, strict=True)
    ]
    await until(lambda: watcher.sockets == 3)
    assert await watcher.drain(wait_s=2) == 3
    assert watcher.sockets == 0 and all(task.done() for task in served)
    restart = (SERVICE_RESTART_CLOSE_CODE, SERVICE_RESTART_REASON)
    assert all(ws.closed == restart for ws in sockets)
    await watcher.aclose()
