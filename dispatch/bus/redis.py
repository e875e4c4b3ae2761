"""Redis pub/sub: moves committed events between app processes; never the system of record.

Pub/sub is at-most-once. That is acceptable here because every subscriber (the hub) checks
sequence numbers and fills any gap from the events table, and polls the table while Redis is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from dispatch.bus.codec import decode, encode
from dispatch.services.ports import EventRecord

log = logging.getLogger("goldenhour.bus")


class RedisEventBus:
    def __init__(self, url: str, *, channel: str) -> None:
        self.channel = channel
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=10
        )

    async def publish(self, records: Sequence[EventRecord]) -> None:
        """Best effort: a failure is logged, never raised: the events are already committed."""
        if not records:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for record in records:
                    pipe.publish(self.channel, encode(record))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("redis publish failed (hub will read the log instead): %s", exc)

    async def subscribe(self) -> AsyncIterator[EventRecord]:
        """Yield events from the channel forever, reconnecting with backoff when Redis drops."""
        delay = 0.2
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                delay = 0.2
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is not None and message["type"] == "message":
                        yield decode(message["data"])
            except (RedisError, OSError) as exc:
                log.warning("redis subscription lost, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def aclose(self) -> None:
        await self._redis.aclose()
