"""Access tokens: short-lived JWTs carrying the role and naming a server-side session.

A crew token is bound to one unit and a hospital token to one hospital; what each role may do,
and on which objects, is the table in ``dispatch.api.policy``. Every token names its login session
(the ``sid`` claim, ``dispatch.store.sessions``) and lives at most a quarter of an hour: a token
is honoured only while its session lasts (``dispatch.api.deps.authorize`` checks it on every
request and socket), so logging out, deactivating an account or changing its role or unit takes
effect on the next request. A token without ``sid`` is refused. Passwords are
``dispatch.passwords``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    CREW = "crew"
    SUPERVISOR = "supervisor"
    HOSPITAL = "hospital"  # an emergency department: its status, and patients coming to it
    ADMIN = "admin"  # users, units, stations, hospitals; never incident data
    AUDITOR = "auditor"  # reads the audit trail and the review; changes nothing
    TELEPHONY = "telephony"  # a PBX/CTI connector's machine login: reports calls, nothing else


@dataclass(frozen=True, slots=True)
class Principal:
    username: str
    role: Role
    unit_id: int | None
    hospital_id: int | None = None
    session_id: str | None = None  # the ``sid`` of the token: its login session

    def as_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "role": self.role.value,
            "unit_id": self.unit_id,
            "hospital_id": self.hospital_id,
        }


ALGORITHM = "HS256"


def issue_token(
    principal: Principal,
    *,
    secret: str,
    ttl_s: float,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> str:
    """A token for ``principal`` (which names its session) valid for ``ttl_s`` from ``now``, or
    until ``expires_at`` when that is given."""
    if principal.session_id is None:
        raise ValueError("an access token must name its session")
    now = now or datetime.now(UTC)
    claims = {
        "sub": principal.username,
        "role": principal.role.value,
        "unit_id": principal.unit_id,
        "hospital_id": principal.hospital_id,
        "sid": principal.session_id,
        "iat": now,
        "exp": expires_at or now + timedelta(seconds=ttl_s),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, *, secret: str) -> Principal | None:
    """The principal a valid token names, or None for an invalid or expired one (or one that
    names no session). Whether its session still lasts is the caller's check."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sid"]}
        )
        unit_id, hospital_id = claims.get("unit_id"), claims.get("hospital_id")
        if not isinstance(claims["sid"], str) or not all(
            v is None or type(v) is int for v in (unit_id, hospital_id)
        ):
            return None
        return Principal(
            str(claims["sub"]), Role(claims["role"]), unit_id, hospital_id, claims["sid"]
        )
    except (jwt.PyJWTError, KeyError, ValueError):
        return None
