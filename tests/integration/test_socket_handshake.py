"""Issue 12: a socket's token travels in ``Sec-WebSocket-Protocol``, never in the URL, and a page
of another origin cannot open one (``dispatch.api.handshake``); against the real server."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from websockets.typing import Origin

from tests.conftest import ServerProcess
from tests.support import connect_socket, login, token_of


async def test_the_server_selects_the_protocol_and_never_echoes_the_token(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    token = token_of(await login(http, "dispatcher"))
    async with connect_socket(f"{server.ws_url}/ws/console", token) as ws:
        assert ws.subprotocol == "goldenhour.v1"
        assert token not in str(ws.response.headers)
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "snapshot"


@pytest.mark.parametrize("path", ["/ws/console", "/ws/console?since=0"])
async def test_a_token_in_the_url_is_refused_even_a_valid_one(
    http: httpx.AsyncClient, server: ServerProcess, path: str
) -> None:
    token = token_of(await login(http, "dispatcher"))
    joiner = "&" if "?" in path else "?"
    for protocols in (None, token):  # with and without the subprotocol as well
        with pytest.raises(websockets.InvalidStatus) as refused:
            await connect_socket(f"{server.ws_url}{path}{joiner}token={token}", protocols)
        assert refused.value.response.status_code == 403


async def test_a_page_of_this_server_may_open_a_socket_another_site_may_not(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    token = token_of(await login(http, "crew-a03"))
    url = f"{server.ws_url}/ws/crew"
    async with connect_socket(url, token, origin=Origin(server.url)) as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "snapshot"
    for other in ("http://evil.example", "http://127.0.0.1:1", "null"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await connect_socket(url, token, origin=Origin(other))
        assert refused.value.response.status_code == 403, other
