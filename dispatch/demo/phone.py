"""The demo's telephone exchange: rings a line through the telephony interface before each call.

It does what a PBX connector does (``POST /telephony/calls`` with the caller's number and a
network location near the scene, fuzzed within its uncertainty radius), so a console in
``make demo`` shows lines ringing; the simulated call-taker answers after a few seconds, logs the
call with the line's caller data, and the caller hangs up.
"""

from __future__ import annotations

import logging
import math
import random
from typing import Any, cast

import httpx

from dispatch.demo.client import ApiClient, ApiError

log = logging.getLogger("goldenhour.sim")

#: How long a simulated line rings before the simulated call-taker picks it up (simulator s).
RING_S = (4.0, 10.0)
#: Uncertainty radii a phone network reports: handset GNSS, Wi-Fi, a cell sector.
UNCERTAINTY_M = (15.0, 50.0, 150.0, 400.0)


class Phone:
    """One PBX connector (``telephony`` login) and the call-taker's hand on the receiver."""

    def __init__(self, exchange: ApiClient, call_taker: ApiClient, rng: random.Random) -> None:
        self.exchange = exchange
        self.call_taker = call_taker
        self.rng = rng
        self._serial = 0

    def ring_time_s(self) -> float:
        return self.rng.uniform(*RING_S)

    async def ring(self, scene: tuple[float, float]) -> dict[str, Any] | None:
        """Ring a line for a caller at ``scene``; the call as recorded (None if the PBX failed:
        the call then goes ahead without a line, as a call-taker would take it anyway)."""
        self._serial += 1
        radius = self.rng.choice(UNCERTAINTY_M)
        lon, lat = _near(scene, radius * self.rng.uniform(0.0, 0.8), self.rng)
        number = "+86139" + "".join(self.rng.choice("0123456789") for _ in range(8))
        try:
            return cast(
                dict[str, Any],
                await self.exchange._request(
                    "POST",
                    "/telephony/calls",
                    json={
                        "line": f"demo-trunk/{1 + self._serial % 8}",
                        "pbx_call_id": f"demo-{self.rng.getrandbits(48):012x}",
                        "caller_number": number,
                        "location": [lon, lat],
                        "uncertainty_m": radius,
                    },
                ),
            )
        except (ApiError, httpx.HTTPError) as exc:
            log.warning("the demo phone could not ring a line: %s", exc)
            return None

    async def answer(self, call: dict[str, Any]) -> dict[str, Any] | None:
        """The call-taker picks up; the answer carries the caller's data (the floor sees it)."""
        try:
            return cast(
                dict[str, Any],
                await self.call_taker._request("POST", f"/telephony/calls/{call['id']}/answer"),
            )
        except (ApiError, httpx.HTTPError) as exc:
            log.warning("line %s not answered: %s", call.get("line"), exc)
            return None

    async def hang_up(self, call: dict[str, Any]) -> None:
        try:
            await self.exchange._request("POST", f"/telephony/calls/{call['id']}/end", json={})
        except (ApiError, httpx.HTTPError) as exc:
            log.warning("line %s not hung up: %s", call.get("line"), exc)


def _near(point: tuple[float, float], metres: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    lat = point[1] + metres * math.cos(bearing) / 111_320
    lon = point[0] + metres * math.sin(bearing) / (111_320 * math.cos(math.radians(point[1])))
    return lon, lat
