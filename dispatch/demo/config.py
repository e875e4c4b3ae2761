"""Settings of one simulation run; a frozen value so every task sees the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class DemoConfig:
    """What to simulate and how hard.

    Attributes
    ----------
    base_url : server root, e.g. ``http://127.0.0.1:8000`` (the API lives under ``/api/v1``)
    calls_per_minute : mean Poisson arrival rate of new calls; 0 disables the caller
    auto_dispatch_after_s : assign the top recommendation to calls still pending after this
        long; ``None`` leaves every assignment to humans
    dispatcher_username, dispatcher_password : account used for calls and assignments
    crew_password_pattern : ``str.format`` pattern with ``{call_sign}`` (lower-cased); crews
        log in as ``crew-<call sign>`` with the same string as password by default
    speedup : multiplies driving speed and divides chute, on-scene and hospital times
    seed : makes the call stream and crew decisions reproducible
    language : the centre's language (``en`` or ``zh``): callers' complaints and the places
        they name are said in it
    duration_s : stop after this many seconds of simulator time; ``None`` runs until cancelled
    position_interval_s : seconds between position reports of a moving unit
    outbreak_after_s : inject a fever outbreak this long after the start (``dispatch.demo.
        outbreak``: first a season of history is imported as the supervisor); None: no outbreak
    outbreak_calls_per_minute, outbreak_minutes : how many fever calls and for how long
    """

    base_url: str
    calls_per_minute: float = 2.0
    auto_dispatch_after_s: float | None = 15.0
    dispatcher_username: str = "dispatcher"
    dispatcher_password: str = "dispatcher"
    #: the PBX connector's login that rings the demo's phone lines (``dispatch.demo.phone``)
    telephony_username: str = "telephony"
    telephony_password: str = "telephony"
    crew_username_pattern: str = "crew-{call_sign}"
    crew_password_pattern: str = "crew-{call_sign}"
    speedup: float = 1.0
    seed: int = 0
    duration_s: float | None = None
    position_interval_s: float = 1.0
    language: Literal["en", "zh"] = "en"
    outbreak_after_s: float | None = None
    outbreak_calls_per_minute: float = 2.0
    outbreak_minutes: float = 30.0
    supervisor_username: str = "supervisor"
    supervisor_password: str = "supervisor"

    def crew_username(self, call_sign: str) -> str:
        return self.crew_username_pattern.format(call_sign=call_sign.lower())

    def crew_password(self, call_sign: str) -> str:
        return self.crew_password_pattern.format(call_sign=call_sign.lower())
