"""A socket lives as long as its login session: the watch closes it with 4401 when the session
ends, tells the check whether the client was active, and survives a failed check."""

from __future__ import annotations

import asyncio
from typing import Any

from dispatch.hub.watch import SESSION_ENDED_REASON, SessionWatch
from dispatch.socket_protocol import SESSION_ENDED_CLOSE_CODE


class Socket:
    """What the watch needs of a WebSocket: ``close``."""

    def __init__(self) -> None:
        self.closed: tuple[int, str] | None = None

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


async def forever() -> None:
    await asyncio.Event().wait()


async def test_a_session_that_ends_closes_its_socket_with_4401_and_stops_it() -> None:
    answers = iter([True, True, False])
    asked: list[bool] = []

    async def still_on(active: bool) -> bool:
        asked.append(active)
        return next(answers)

    watch = SessionWatch(still_on, every_s=0.01)
    ws = Socket()
    watch.noticed()  # the client sent something before the first check
    await asyncio.wait_for(watch.serve(ws, forever()), 2)  # type: ignore[arg-type]
    assert ws.closed == (SESSION_ENDED_CLOSE_CODE, SESSION_ENDED_REASON)
    assert asked == [True, False, False]


async def test_a_failed_check_keeps_the_socket_and_the_next_one_decides() -> None:
    calls = 0

    async def still_on(active: bool) -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the database is restarting")
        return calls < 3

    ws = Socket()
    await asyncio.wait_for(SessionWatch(still_on, every_s=0.01).serve(ws, forever()), 2)  # type: ignore[arg-type]
    assert calls == 3 and ws.closed is not None


async def test_a_socket_that_ends_by_itself_is_left_alone() -> None:
    async def still_on(active: bool) -> bool:
        raise AssertionError("not asked: the socket ended before the first check")

    async def brief() -> None:
        await asyncio.sleep(0)

    ws: Any = Socket()
    await SessionWatch(still_on, every_s=10).serve(ws, brief())
    assert ws.closed is None
