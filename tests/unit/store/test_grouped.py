"""Concurrent session checks share one query, each still read after it was asked, and a failed
query fails only the callers it was answering."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from dispatch.store.grouped import GroupRead


async def test_requests_of_one_moment_share_one_query_and_later_ones_see_a_new_read() -> None:
    table = {"s1": "live", "s2": "live"}
    asked: list[frozenset[str]] = []

    async def read_many(keys: frozenset[str]) -> Mapping[str, str]:
        asked.append(keys)
        await asyncio.sleep(0.01)
        return {k: table[k] for k in keys if k in table}

    group = GroupRead[str, str](read_many)
    first = await asyncio.gather(group("s1"), group("s2"), group("s1"), group("nope"))
    assert first == ["live", "live", "live", None]
    assert asked == [frozenset({"s1", "s2", "nope"})]

    table["s1"] = "revoked"  # logged out: the next request must see it, no cache
    assert await group("s1") == "revoked"
    assert len(asked) == 2


async def test_requests_arriving_during_a_query_wait_for_the_next_one() -> None:
    release = asyncio.Event()
    asked: list[frozenset[str]] = []

    async def read_many(keys: frozenset[str]) -> Mapping[str, str]:
        asked.append(keys)
        if len(asked) == 1:
            await release.wait()
        return {k: k.upper() for k in keys}

    group = GroupRead[str, str](read_many)
    early = asyncio.create_task(group("a"))
    await asyncio.sleep(0.01)  # the first query is in flight
    late = [asyncio.create_task(group(k)) for k in ("b", "c")]
    await asyncio.sleep(0.01)
    assert asked == [frozenset({"a"})]  # at most one query in flight
    release.set()
    assert await early == "A" and [await t for t in late] == ["B", "C"]
    assert asked == [frozenset({"a"}), frozenset({"b", "c"})]


async def test_a_failed_query_fails_its_callers_and_the_next_one_is_tried_afresh() -> None:
    calls = 0

    async def read_many(keys: frozenset[str]) -> Mapping[str, str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("the database is restarting")
        return {k: "live" for k in keys}

    group = GroupRead[str, str](read_many)
    with pytest.raises(ConnectionError):
        await asyncio.gather(group("s1"), group("s2"))
    assert await group("s1") == "live"
