"""Issue 12: socket frames are limited in size and depth, and socket messages follow the REST rules
(plain text, strict coordinates, bounded times, the map's extent): a hostile frame closes the
socket with a documented code or gets an error, and never raises in the server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, connect_socket, login, token_of

TOO_BIG = 1009  # RFC 6455: message too big (> 64 KiB)
INVALID_DATA = 1007  # RFC 6455: invalid frame payload data (JSON nested deeper than 32)

HOSTILE_FRAMES = [
    pytest.param("[" * 100_000, TOO_BIG, id="100000-deep"),
    pytest.param("[" * 1_000 + "]" * 1_000, INVALID_DATA, id="1000-deep"),
    pytest.param('{"type": "ping", "a": ' + "[" * 33 + "]" * 33 + "}", INVALID_DATA, id="33-deep"),
    pytest.param(json.dumps({"type": "ping", "pad": "x" * 70_000}), TOO_BIG, id="70-KiB"),
    pytest.param(b"[" * 100_000, TOO_BIG, id="100000-deep-binary"),
]


async def _socket(server: ServerProcess, http: httpx.AsyncClient, kind: str) -> Any:
    user = {"console": "dispatcher", "crew": "crew-a08"}[kind]
    token = token_of(await login(http, user))
    ws = await connect_socket(f"{server.ws_url}/ws/{kind}", token)
    first = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert first["type"] == "snapshot", first
    return ws


async def _close_code(ws: Any) -> int | None:
    """Read until the server closes; the close code it sent."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


async def _answer(ws: Any, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    async def scan() -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message["type"] == kind:
                return message

    return await asyncio.wait_for(scan(), timeout)


@pytest.mark.parametrize("kind", ["console", "crew"])
@pytest.mark.parametrize(("frame", "code"), HOSTILE_FRAMES)
async def test_a_hostile_frame_closes_the_socket_with_a_code(
    http: httpx.AsyncClient, server: ServerProcess, kind: str, frame: str | bytes, code: int
) -> None:
    ws = await _socket(server, http, kind)
    await ws.send(frame)
    assert await _close_code(ws) == code
    # the server is unharmed: a new socket is served, and nothing was raised in the process
    again = await _socket(server, http, kind)
    await again.send(json.dumps({"type": "ping"}))
    await _answer(again, "pong")
    await again.close()
    assert server.log_path is not None
    assert "RecursionError" not in server.log_path.read_text(errors="replace")


@pytest.mark.parametrize("kind", ["console", "crew"])
async def test_nesting_within_the_limit_and_control_characters_keep_the_socket(
    http: httpx.AsyncClient, server: ServerProcess, kind: str
) -> None:
    ws = await _socket(server, http, kind)
    await ws.send('{"type": "ping", "a": ' + "[" * 31 + "]" * 31 + "}")
    await _answer(ws, "pong")
    await ws.send(json.dumps({"type": "ping", "note": "a\x00b"}))
    error = await _answer(ws, "error")
    assert error["code"] == "invalid-message" and "U+0000" in error["detail"], error
    await ws.send(json.dumps({"type": "ping\x01"}))
    assert (await _answer(ws, "error"))["code"] == "invalid-message"
    await ws.send(json.dumps({"type": "ping"}))
    await _answer(ws, "pong")
    await ws.close()


async def test_crew_socket_fixes_follow_the_rest_rules(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    west, south, east, north = (await http.get("/api/v1/map")).json()["bbox"]
    spot = await a_point_on_a_road(http, 11)
    ws = await _socket(server, http, "crew")
    for bad, code in (
        ({"position": ["24.9", 60.17]}, "invalid-location"),
        ({"position": [True, 60.17]}, "invalid-location"),
        ({"position": [0.0, 0.0]}, "outside-map"),
        ({"position": [east + 0.5, (south + north) / 2]}, "outside-map"),
        ({"position": spot, "reported_at": "9999-12-31T23:59:59Z"}, "invalid-message"),
        ({"position": spot, "reported_at": "1970-01-01T00:00:00+00:00"}, "invalid-message"),
        ({"position": spot, "reported_at": 1700000000}, "invalid-message"),
    ):
        await ws.send(json.dumps({"type": "position", **bad}))
        error = await _answer(ws, "error")
        assert error["code"] == code, (bad, error)
    await ws.send(json.dumps({"type": "ack", "order_id": 2**63}))
    assert (await _answer(ws, "error"))["code"] == "not-found"
    await ws.send(json.dumps({"type": "ack", "order_id": True}))
    assert (await _answer(ws, "error"))["code"] == "invalid-message"
    now = datetime.now(UTC).isoformat()
    await ws.send(json.dumps({"type": "position", "position": spot, "reported_at": now}))
    assert (await _answer(ws, "position-stored"))["position"] == spot
    await ws.close()
