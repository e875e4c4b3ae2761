"""Tokens: short-lived JWTs carrying the role (passwords are in ``dispatch.passwords``).

A crew token is bound to one unit and a hospital token to one hospital; what each role may do,
and on which objects, is the table in ``dispatch.api.policy``.
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


@dataclass(frozen=True, slots=True)
class Principal:
    username: str
    role: Role
    unit_id: int | None
    hospital_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "username": self.username,
            "role": self.role.value,
            "unit_id": self.unit_id,
            "hospital_id": self.hospital_id,
        }


ALGORITHM = "HS256"


def issue_token(principal: Principal, *, secret: str, ttl_s: int) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": principal.username,
        "role": principal.role.value,
        "unit_id": principal.unit_id,
        "hospital_id": principal.hospital_id,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_s),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, *, secret: str) -> Principal | None:
    """The principal a valid token names, or None for an invalid or expired one."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp"]})
        return Principal(
            str(claims["sub"]),
            Role(claims["role"]),
            claims.get("unit_id"),
            claims.get("hospital_id"),
        )
    except (jwt.PyJWTError, KeyError, ValueError):
        return None
