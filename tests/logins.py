"""Test helpers for accounts: the admin makes a login, and its user takes it over.

A login the admin creates must choose its own password before anything else; most stories want a
login that is ready to work, so :func:`ready_login` does both steps, as a new colleague would on
their first day.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

#: A password the policy takes (long, not common); each story adds a word of its own.
STRONG = "amber lantern over the harbour"


def bearer(answer: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {answer['access_token']}"}


async def token_answer(
    http: httpx.AsyncClient, username: str, password: str, **headers: str
) -> httpx.Response:
    return await http.post(
        "/api/v1/auth/token", data={"username": username, "password": password}, headers=headers
    )


async def new_login(
    http: httpx.AsyncClient,
    admin: dict[str, str],
    role: str,
    *,
    prefix: str = "story",
    **binding: int,
) -> tuple[str, str]:
    """(user name, first password) of a login the admin just created (it must change it)."""
    username = f"{prefix}-{secrets.token_hex(3)}"
    first = f"{STRONG} {username} first"
    r = await http.post(
        "/api/v1/admin/users",
        headers=admin,
        json={"username": username, "role": role, "password": first, **binding},
    )
    assert r.status_code == 201, r.text
    return username, first


async def ready_login(
    http: httpx.AsyncClient, admin: dict[str, str], role: str, **binding: int
) -> tuple[str, str, dict[str, Any]]:
    """(user name, password, token answer) of a new login whose user chose their password."""
    username, first = await new_login(http, admin, role, **binding)
    r = await token_answer(http, username, first)
    assert r.status_code == 200 and r.json()["must_change_password"], r.text
    chosen = f"{STRONG} {username} chosen"
    r = await http.post(
        "/api/v1/auth/password",
        headers=bearer(r.json()),
        json={"current_password": first, "new_password": chosen},
    )
    assert r.status_code == 204, r.text
    r = await token_answer(http, username, chosen)
    assert r.status_code == 200 and not r.json()["must_change_password"], r.text
    return username, chosen, r.json()
