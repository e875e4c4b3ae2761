"""Redis pub/sub: moves committed events and fresh GPS positions between app processes.

Redis is never the system of record. Pub/sub is at-most-once, which is acceptable because every
subscriber (the hub) checks event sequence numbers and fills any gap from the events table, and
reads positions from the units table while Redis is silent. While Redis is down, publishing is
skipped for a few seconds at a time instead of making every request wait for a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from dispatch.bus.codec import decode, encode
from dispatch.services.ports import EventRecord

log = logging.getLogger("goldenhour.bus")

#: Seconds to stop trying to publish after a failure (the hub's polling covers the gap).
BACKOFF_S = 3.0

Message = tuple[str, EventRecord | list[dict[str, Any]]]


class RedisEventBus:
    def __init__(self, url: str, *, channel: str) -> None:
        self.channel = channel
        self.positions_channel = f"{channel}.positions"
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=10
        )
        self._down_until = 0.0
        self._positions_out: list[dict[str, Any]] = []
        self._flushes: set[asyncio.Task[None]] = set()

    async def publish(self, records: Sequence[EventRecord]) -> None:
        """Best effort: a failure is logged, never raised: the events are already committed."""
        await self._send([(self.channel, encode(r)) for r in records])

    async def publish_positions(self, units: Sequence[dict[str, Any]]) -> None:
        """Coalesced: positions offered in one turn of the event loop go out as one message.

        A group commit of GPS fixes answers hundreds of requests at once; publishing each of
        them separately was a Redis round trip per fix. Returns without waiting for the send.
        """
        if not units:
            return
        if not self._positions_out:
            task = asyncio.get_running_loop().create_task(self._flush_positions())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        self._positions_out.extend(units)

    async def _flush_positions(self) -> None:
        await asyncio.sleep(0)  # let the other requests answered in this turn add theirs
        units, self._positions_out = self._positions_out, []
        await self._send([(self.positions_channel, json.dumps(units))])

    async def _send(self, messages: list[tuple[str, str]]) -> None:
        if not messages or time.monotonic() < self._down_until:
            return
        for attempt in (1, 2):
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, payload in messages:
                        pipe.publish(channel, payload)
                    await pipe.execute()
                return
            except (RedisError, OSError) as exc:
                # Connections pooled before a Redis restart are dead and would each fail once,
                # each failure costing BACKOFF_S of silence: drop the idle ones, retry once on a
                # fresh connection (a message published twice is harmless: hubs dedupe by seq).
                with contextlib.suppress(RedisError, OSError):
                    await self._redis.connection_pool.disconnect(inuse_connections=False)
                if attempt == 1 and isinstance(exc, RedisConnectionError):
                    continue
                self._down_until = time.monotonic() + BACKOFF_S
                log.warning("redis publish failed; hubs read the database meanwhile: %s", exc)
                return

    async def subscribe(self) -> AsyncIterator[Message]:
        """Yield ("event", record) and ("positions", [unit positions]) forever, reconnecting."""
        delay = 0.2
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel, self.positions_channel)
                delay = 0.2
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is None or message["type"] != "message":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    if channel == self.positions_channel:
                        yield "positions", json.loads(message["data"])
                    else:
                        yield "event", decode(message["data"])
            except (RedisError, OSError) as exc:
                log.warning("redis subscription lost, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def aclose(self) -> None:
        for task in list(self._flushes):
            task.cancel()
        await self._redis.aclose()
