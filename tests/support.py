"""Test helpers: HTTP login, a console WebSocket that collects messages, problem checks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from dispatch.socket_protocol import SUBPROTOCOL, offer


async def login(
    http: httpx.AsyncClient, username: str, password: str | None = None
) -> dict[str, str]:
    """Authorization header for a demo user (demo passwords equal the username)."""
    r = await http.post(
        "/api/v1/auth/token", data={"username": username, "password": password or username}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def connect_socket(url: str, token: str | None, **options: Any) -> connect:
    """Open a socket as the clients do (``await`` it, or ``async with`` it): the token offered
    as the ``bearer.<token>`` subprotocol (``dispatch.socket_protocol``), never in the URL; no
    ``Origin`` header unless ``origin=`` (then it is a browser's)."""
    protocols = offer(token) if token is not None else [SUBPROTOCOL]
    options.setdefault("max_size", None)
    return connect(url, subprotocols=[Subprotocol(p) for p in protocols], **options)


class ConsoleSocket:
    """A console's WebSocket: reads messages in the background so tests can wait for events."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, ws_base: str, token: str, since: int | None = None) -> ConsoleSocket:
        url = f"{ws_base}/ws/console"
        if since is not None:
            url += f"?since={since}"
        return cls(await connect_socket(url, token))

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.messages.append(json.loads(raw))
                self._arrived.set()
        except websockets.ConnectionClosed:
            pass

    @property
    def events(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == "event"]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first message satisfying ``predicate``, waiting up to ``timeout`` seconds."""

        async def scan() -> dict[str, Any]:
            seen = 0
            while True:
                for m in self.messages[seen:]:
                    if predicate(m):
                        return m
                seen = len(self.messages)
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(scan(), timeout)

    async def wait_event(self, name: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        def predicate(m: dict[str, Any]) -> bool:
            if m.get("type") != "event" or m.get("name") != name:
                return False
            return all(m["data"].get(k) == v for k, v in match.items())

        return await self.wait_for(predicate, timeout)

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def close(self) -> None:
        await self.ws.close()
        await self._reader


async def a_point_on_a_road(http: httpx.AsyncClient, index: int = 0) -> list[float]:
    """A real point of the map's road network (a vertex of one of its streets)."""
    roads = (await http.get("/api/v1/map/roads")).json()["features"]
    coords = roads[(index * 37) % len(roads)]["geometry"]["coordinates"]
    return list(coords[len(coords) // 2])


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this status and machine code."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["status"] == status and body["detail"], body
    assert body["type"].endswith(code) and body["title"]
    return body
