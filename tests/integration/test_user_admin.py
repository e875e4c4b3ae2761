"""The admin runs accounts: creates logins, binds crews to units for a shift, deactivates, and
every change is in the audit trail with what changed. Nobody else may."""

from __future__ import annotations

import asyncpg
import httpx

from tests.logins import STRONG, new_login, token_answer
from tests.support import assert_problem, login


async def test_the_admin_creates_a_crew_login_and_binds_it_to_a_unit_for_the_shift(
    http: httpx.AsyncClient, database_url: str
) -> None:
    admin = await login(http, "admin")
    units = {
        u["call_sign"]: u["id"] for u in (await http.get("/api/v1/units", headers=admin)).json()
    }
    username, first = await new_login(http, admin, "crew", prefix="crew-night")
    listed = {
        u["username"]: u for u in (await http.get("/api/v1/admin/users", headers=admin)).json()
    }
    assert listed[username] == {
        "username": username,
        "role": "crew",
        "unit_id": None,
        "hospital_id": None,
        "active": True,
        "must_change_password": True,
        "failed_logins": 0,
        "locked_until": None,
        "last_login_at": None,
    }
    assert "password_hash" not in listed["dispatcher"] and "password" not in listed["dispatcher"]

    r = await http.patch(
        f"/api/v1/admin/users/{username}", headers=admin, json={"unit_id": units["A05"]}
    )
    assert r.status_code == 200 and r.json()["unit_id"] == units["A05"], r.text
    answer = (await token_answer(http, username, first)).json()
    assert (answer["role"], answer["unit_id"]) == ("crew", units["A05"])

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT actor, detail::text AS detail FROM audit WHERE kind = 'user-changed' "
            "AND subject = $1 ORDER BY id",
            f"user:{username}",
        )
    finally:
        await conn.close()
    assert [r["actor"] for r in rows] == ["admin", "admin"]
    assert '"created": true' in rows[0]["detail"] and first not in rows[0]["detail"]
    assert f'"unit_id": [null, {units["A05"]}]' in rows[1]["detail"]


async def test_what_the_admin_may_not_do(http: httpx.AsyncClient) -> None:
    admin = await login(http, "admin")
    units = (await http.get("/api/v1/units", headers=admin)).json()

    async def create(**body: object) -> httpx.Response:
        fields = {"username": "someone-new", "role": "dispatcher", "password": f"{STRONG} x"}
        return await http.post("/api/v1/admin/users", headers=admin, json=fields | body)

    assert_problem(await create(username="dispatcher"), 409, "user-exists")
    assert_problem(await create(unit_id=units[0]["id"]), 422, "invalid-binding")
    assert_problem(await create(role="crew", unit_id=999_999), 422, "invalid-binding")
    assert_problem(await create(password="dispatcher"), 422, "weak-password")
    assert_problem(await create(role="root"), 422, "validation-error")
    assert_problem(await create(username="bad name"), 422, "validation-error")
    r = await http.patch("/api/v1/admin/users/admin", headers=admin, json={"active": False})
    assert_problem(r, 409, "own-account")
    r = await http.patch("/api/v1/admin/users/nobody-here", headers=admin, json={"active": False})
    assert_problem(r, 404, "not-found")
    r = await http.post("/api/v1/admin/users/nobody-here/unlock", headers=admin)
    assert_problem(r, 404, "not-found")


async def test_only_the_admin_runs_accounts(http: httpx.AsyncClient) -> None:
    for who in ("supervisor", "dispatcher", "auditor", "crew-a01", "hospital-1"):
        headers = await login(http, who)
        assert_problem(await http.get("/api/v1/admin/users", headers=headers), 403, "forbidden")
        r = await http.patch(
            "/api/v1/admin/users/dispatcher", headers=headers, json={"active": False}
        )
        assert_problem(r, 403, "forbidden")
