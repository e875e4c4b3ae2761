"""What an admin may change about an account, and which changes end its sessions.

A login carries its role and binding (the unit of a crew, the hospital of an ED) in every access
token, so a change to either, or a deactivation, must end the account's sessions: the next request
with an old token is refused and open sockets are closed (``dispatch.domain.sessions``).
Reactivating an account ends nothing (it had no live session).

Bindings follow the role: only a crew login is bound to a unit (for a shift: binding a crew login
to another unit is the change of crews between shifts), only a hospital login to a hospital. A
role change drops a binding the new role cannot have unless the same request names one.

An admin may not deactivate their own account nor change its role: the last admin must not lock
everyone out of user administration by a slip of the mouse (another admin can).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from dispatch.domain.errors import DomainError

ROLES = ("dispatcher", "supervisor", "crew", "hospital", "admin", "auditor", "telephony")


class InvalidBinding(DomainError):
    code = "invalid-binding"
    title = "This role cannot have this binding"


class OwnAccount(DomainError):
    code = "own-account"
    title = "An admin cannot deactivate or demote their own account"


@dataclass(frozen=True, slots=True)
class AccountFields:
    """What an admin may change (the password has its own operation)."""

    role: str
    unit_id: int | None
    hospital_id: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class Change:
    """The account after a change, what changed, and why its sessions end (None: they go on)."""

    after: AccountFields
    changed: tuple[str, ...]
    ends_sessions: str | None


def check_binding(role: str, unit_id: int | None, hospital_id: int | None) -> None:
    """Raise :class:`InvalidBinding` unless the binding suits the role."""
    if unit_id is not None and role != "crew":
        raise InvalidBinding(f"Only a crew login is bound to a unit, not a {role} login")
    if hospital_id is not None and role != "hospital":
        raise InvalidBinding(f"Only a hospital login is bound to a hospital, not a {role} login")


def change(before: AccountFields, requested: Mapping[str, object], *, by_self: bool) -> Change:
    """``before`` with the ``requested`` fields (only those given; ``None`` unbinds), checked.

    Raises :class:`InvalidBinding` or :class:`OwnAccount`.
    """
    role = str(requested.get("role") or before.role)
    if role not in ROLES:
        raise InvalidBinding(f"Unknown role {role!r}")
    unit_id = _binding(before.unit_id, requested, "unit_id", keep=role == "crew")
    hospital_id = _binding(before.hospital_id, requested, "hospital_id", keep=role == "hospital")
    active = before.active if requested.get("active") is None else bool(requested["active"])
    after = replace(before, role=role, unit_id=unit_id, hospital_id=hospital_id, active=active)
    check_binding(after.role, after.unit_id, after.hospital_id)
    if by_self and (after.role != before.role or not after.active):
        raise OwnAccount("Another admin must deactivate your account or change its role")
    changed = tuple(
        name
        for name in ("active", "role", "unit_id", "hospital_id")
        if getattr(after, name) != getattr(before, name)
    )
    return Change(after, changed, _ends_sessions(before, after))


def _binding(
    current: int | None, requested: Mapping[str, object], name: str, *, keep: bool
) -> int | None:
    if name in requested:
        value = requested[name]
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return current if keep else None


def _ends_sessions(before: AccountFields, after: AccountFields) -> str | None:
    """The reason recorded on the sessions a change ends (the most telling one)."""
    if before.active and not after.active:
        return "deactivated"
    if after.role != before.role:
        return "role-changed"
    if after.unit_id != before.unit_id:
        return "unit-changed"
    if after.hospital_id != before.hospital_id:
        return "hospital-changed"
    return None
