"""The console event stream as the simulator needs it: a sequence of state updates.

Listens on ``/ws/console`` as the dispatcher (the token offered as a subprotocol,
``dispatch.socket_protocol``), resumes with ``?since=<last seq>`` after a drop
(so no event is missed), and reconnects from a fresh snapshot when the server says ``resync``.
While the socket cannot be opened at all it falls back to polling ``GET /units`` and
``GET /incidents`` so crews still learn of assignments, only later.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException
from websockets.typing import Subprotocol

from dispatch.clock import PacedClock
from dispatch.demo.client import API_PREFIX, ApiClient, ApiError, Incident, Unit
from dispatch.socket_protocol import SESSION_ENDED_CLOSE_CODE, offer

log = logging.getLogger("goldenhour.sim")

WS_PATHS = ("/ws/console", API_PREFIX + "/ws/console")
"""Tried in order: the contract names ``/ws/console``; the prefixed form is a fallback."""

MIN_BACKOFF_S, MAX_BACKOFF_S = 0.5, 30.0


@dataclass(frozen=True)
class Update:
    """Units and incidents in their current full state, and what caused the update.

    ``name`` is the event name, ``"snapshot"`` for a socket snapshot or ``"poll"`` for the
    polling fallback; ``actor`` is the user who caused an event (None for snapshots/polls).
    """

    name: str
    actor: str | None
    units: tuple[Unit, ...] = ()
    incidents: tuple[Incident, ...] = ()


Sink = Callable[[Update], Awaitable[None]]


def parse_message(message: dict[str, Any]) -> Update | None:
    """Turn one server message into an ``Update`` (None for pongs, errors, unknown types)."""
    kind = message.get("type")
    if kind == "snapshot":
        return Update(
            "snapshot",
            None,
            tuple(message.get("units") or ()),
            tuple(message.get("incidents") or ()),
        )
    if kind == "event":
        data = message.get("data") or {}
        units = tuple(cast(Unit, u) for u in (data.get("unit"),) if isinstance(u, dict))
        incidents = tuple(cast(Incident, i) for i in (data.get("incident"),) if isinstance(i, dict))
        return Update(str(message.get("name")), message.get("actor"), units, incidents)
    return None


def ws_url(base_url: str, path: str, since: int | None) -> str:
    """``ws(s)://host/path[?since=...]`` from the HTTP base URL (no token: that travels as a
    subprotocol, never in a URL)."""
    root = base_url.rstrip("/")
    if root.startswith("https://"):
        root = "wss://" + root[len("https://") :]
    elif root.startswith("http://"):
        root = "ws://" + root[len("http://") :]
    query = "" if since is None else "?" + urlencode({"since": since})
    return f"{root}{path}{query}"


def subprotocols(token: str) -> list[Subprotocol]:
    """What the feed offers in ``Sec-WebSocket-Protocol``: ``goldenhour.v1, bearer.<token>``."""
    return [Subprotocol(p) for p in offer(token)]


class ConsoleFeed:
    """Runs forever, handing every update to ``sink`` in server order."""

    def __init__(
        self, base_url: str, api: ApiClient, clock: PacedClock, sink: Sink, *, poll_s: float = 2.0
    ) -> None:
        self.base_url = base_url
        self.api = api
        self.clock = clock
        self.sink = sink
        self.poll_s = poll_s
        self.since: int | None = None
        self._path_index = 0
        self._failures = 0
        self._backoff = MIN_BACKOFF_S
        self._path_known = False  # set once a path worked: later 403s mean expired tokens

    async def run(self) -> None:
        while True:
            try:
                if self.api.token is None:
                    await self.api.login()
                await self._listen()
                continue  # a clean close or a resync: reconnect promptly
            except asyncio.CancelledError:
                raise
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (403, 404) and not self._path_known:
                    # Starlette refuses unknown socket paths with 403: try the other path.
                    self._path_index = (self._path_index + 1) % len(WS_PATHS)
                if status in (401, 403):
                    await self._relogin()
                self._failed(f"HTTP {status}")
            except (OSError, httpx.HTTPError, WebSocketException, InvalidURI, ApiError) as exc:
                self._failed(str(exc) or type(exc).__name__)
            except Exception:  # the feed must outlive surprises
                log.exception("console feed failed")
                self._failed("unexpected error")
            await self._poll_for(self._backoff)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    def _failed(self, reason: str) -> None:
        """Log the first failure of a streak loudly, the rest quietly."""
        self._failures += 1
        level = logging.WARNING if self._failures == 1 else logging.DEBUG
        log.log(level, "console socket unavailable (%s); polling the API meanwhile", reason)

    async def _relogin(self) -> None:
        try:
            await self.api.login()
        except Exception as exc:  # a failed login is retried on the next connection
            log.warning("dispatcher login failed: %s", exc)

    async def _listen(self) -> None:
        token = self.api.token
        assert token is not None
        url = ws_url(self.base_url, WS_PATHS[self._path_index], self.since)
        async with connect(
            url, subprotocols=subprotocols(token), open_timeout=10, ping_interval=20
        ) as socket:
            self._failures, self._backoff, self._path_known = 0, MIN_BACKOFF_S, True
            log.info(
                "console socket open%s",
                "" if self.since is None else f" (resuming after seq {self.since})",
            )
            try:
                async for raw in socket:
                    message = json.loads(raw)
                    if not isinstance(message, dict):
                        continue
                    if message.get("type") == "resync":
                        log.info("server asked for resync: %s", message.get("reason"))
                        self.since = None
                        return
                    seq = message.get("seq")
                    update = parse_message(message)
                    if update is not None:
                        await self.sink(update)
                    if isinstance(seq, int):
                        self.since = seq
            except ConnectionClosed as exc:
                log.info("console socket closed (%s); reconnecting", exc.rcvd or "no close frame")
                if exc.rcvd is not None and exc.rcvd.code == SESSION_ENDED_CLOSE_CODE:
                    await self._relogin()  # the session ended: a new one before reconnecting

    async def _poll_for(self, seconds: float) -> None:
        """Poll the REST API during ``seconds`` (at least once), standing in for the socket."""
        remaining = max(seconds, 0.0)
        while True:
            try:
                units = await self.api.units()
                incidents = await self.api.incidents()
                await self.sink(Update("poll", None, tuple(units), tuple(incidents)))
            except Exception as exc:  # a failed poll is just a missed poll
                log.warning("poll failed: %s", exc)
            if remaining <= 0:
                return
            step = min(self.poll_s, remaining)
            await self.clock.sleep(step)
            remaining -= step
