"""Group reads: concurrent one-key lookups served by one many-key query.

Every authenticated request reads its login session (``dispatch.api.sessions``). A fleet posting
a GPS fix a second per unit made that a round trip per request, which halved the fixes one app
process takes (``bench/load.py``: 1,000/s to 515/s). The same rule as the group commit of fixes
(``dispatch.store.positions``) fixes it: callers that ask while a query is in flight wait for the
next one, which answers all of them at once. Each answer is still read after the caller asked, so
nothing is served from a cache: a session revoked before the request is seen as revoked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Reads the values of many keys; a key without a value is left out of the answer.
ReadMany = Callable[[frozenset[K]], Awaitable[Mapping[K, V]]]


class GroupRead(Generic[K, V]):
    """``await group(key)``: the value of ``key`` (None when there is none), read together with
    every other key asked for meanwhile; at most one query in flight."""

    def __init__(self, read_many: ReadMany[K, V]) -> None:
        self._read_many = read_many
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.queries = 0

    async def __call__(self, key: K) -> V | None:
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read())
        return await future

    async def _read(self) -> None:
        await asyncio.sleep(0)  # let the requests of this turn of the loop join the first query
        while self._waiting:
            waiting, self._waiting = self._waiting, {}
            self.queries += 1
            try:
                values = await self._read_many(frozenset(waiting))
            except Exception as exc:  # every caller of this query gets the error
                for futures in waiting.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            for key, futures in waiting.items():
                for future in futures:
                    if not future.done():
                        future.set_result(values.get(key))
