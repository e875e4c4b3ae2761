"""Passwords: a new login chooses its own before doing anything, weak ones are refused, a reset
forces a new choice, and the printed demo logins stay on the machine that prints them.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ROOT, RUN_ID, ServerProcess
from tests.logins import STRONG, bearer, new_login, ready_login, token_answer
from tests.support import assert_problem, login


async def test_a_new_login_must_choose_its_password_before_anything_else(
    http: httpx.AsyncClient,
) -> None:
    admin = await login(http, "admin")
    username, first = await new_login(http, admin, "dispatcher")
    answer = (await token_answer(http, username, first)).json()
    assert answer["must_change_password"] is True
    me = bearer(answer)

    assert_problem(await http.get("/api/v1/incidents", headers=me), 403, "password-change-required")
    assert (await http.get("/api/v1/auth/me", headers=me)).json()["must_change_password"] is True
    renewed = await http.post(
        "/api/v1/auth/refresh", json={"refresh_token": answer["refresh_token"]}
    )
    assert renewed.json()["must_change_password"] is True
    me = bearer(renewed.json())

    async def change(current: str, new: str) -> httpx.Response:
        return await http.post(
            "/api/v1/auth/password",
            headers=me,
            json={"current_password": current, "new_password": new},
        )

    assert_problem(await change(first, "short"), 422, "weak-password")
    assert_problem(await change(first, "password1234"), 422, "weak-password")
    assert_problem(await change(first, username), 422, "weak-password")
    assert_problem(await change(first, first), 422, "weak-password")
    assert_problem(await change("not my password", f"{STRONG} mine"), 422, "wrong-password")
    assert (await change(first, f"{STRONG} mine")).status_code == 204

    # the same session goes on, now allowed to work
    assert (await http.get("/api/v1/incidents", headers=me)).status_code == 200
    assert (await http.get("/api/v1/auth/me", headers=me)).json()["must_change_password"] is False
    assert_problem(await token_answer(http, username, first), 401, "bad-credentials")
    again = (await token_answer(http, username, f"{STRONG} mine")).json()
    assert again["must_change_password"] is False


async def test_changing_ones_password_ends_ones_other_sessions(http: httpx.AsyncClient) -> None:
    admin = await login(http, "admin")
    username, password, here = await ready_login(http, admin, "supervisor")
    elsewhere = (await token_answer(http, username, password)).json()
    r = await http.post(
        "/api/v1/auth/password",
        headers=bearer(here),
        json={"current_password": password, "new_password": f"{STRONG} second choice"},
    )
    assert r.status_code == 204, r.text
    assert (await http.get("/api/v1/auth/me", headers=bearer(here))).status_code == 200
    r = await http.get("/api/v1/auth/me", headers=bearer(elsewhere))
    assert_problem(r, 401, "session-expired")


async def test_an_admin_reset_ends_the_sessions_and_forces_a_new_choice(
    http: httpx.AsyncClient, database_url: str
) -> None:
    admin = await login(http, "admin")
    username, _, answer = await ready_login(http, admin, "dispatcher")
    assert_problem(
        await http.post(
            f"/api/v1/admin/users/{username}/password", headers=admin, json={"password": "abc"}
        ),
        422,
        "weak-password",
    )
    temporary = f"{STRONG} temporary for {username}"
    r = await http.post(
        f"/api/v1/admin/users/{username}/password", headers=admin, json={"password": temporary}
    )
    assert r.status_code == 204, r.text
    assert_problem(
        await http.get("/api/v1/auth/me", headers=bearer(answer)), 401, "session-expired"
    )
    after = (await token_answer(http, username, temporary)).json()
    assert after["must_change_password"] is True
    assert_problem(
        await http.get("/api/v1/incidents", headers=bearer(after)), 403, "password-change-required"
    )

    conn = await asyncpg.connect(database_url)
    try:
        detail = await conn.fetchval(
            "SELECT detail::text FROM audit WHERE kind = 'user-changed' AND subject = $1 "
            "AND actor = 'admin' ORDER BY id DESC LIMIT 1",
            f"user:{username}",
        )
    finally:
        await conn.close()
    assert '"changed": ["password"]' in detail and "sessions_ended" in detail
    assert temporary not in detail  # never the password


async def test_seeding_without_demo_logins_forces_a_change_and_never_undoes_one(
    map_dir: Path,
) -> None:
    """`goldenhour seed` on a real deployment: new logins must change their password; seeding
    again leaves existing accounts (and the passwords their users chose) alone."""
    from dispatch.bootstrap import make_engine
    from dispatch.config import Settings
    from dispatch.seed import seed
    from dispatch.store import admin
    from routing import RoadNetwork

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/goldenhour")
    url = make_url(base).set(database=f"gh_test_{RUN_ID}_seed")
    plain = url.render_as_string(hide_password=False)
    await admin.create_database(plain)
    try:
        await asyncio.to_thread(
            admin.migrate,
            url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False),
        )
        engine = make_engine(Settings(database_url=plain, secret_key="x" * 40), owner=True)  # type: ignore[call-arg]
        try:
            network = RoadNetwork.load(map_dir)
            first = await seed(engine, network, units=2, demo_logins=False)
            conn = await asyncpg.connect(plain)
            try:
                flags = await conn.fetch("SELECT username, must_change_password FROM users")
                assert flags and all(r["must_change_password"] for r in flags)
                await conn.execute(
                    "UPDATE users SET password_hash = 'chosen', must_change_password = false "
                    "WHERE username = 'dispatcher'"
                )
                again = await seed(engine, network, units=2, demo_logins=False)
                kept = await conn.fetchrow(
                    "SELECT password_hash, must_change_password FROM users "
                    "WHERE username = 'dispatcher'"
                )
            finally:
                await conn.close()
        finally:
            await engine.dispose()
    finally:
        await admin.drop_database(plain)
    assert first.created == len(flags) and again.created == 0
    assert (kept["password_hash"], kept["must_change_password"]) == ("chosen", False)


def test_the_server_announces_demo_logins_and_refuses_them_on_a_public_address(
    server: ServerProcess, server_env: dict[str, str]
) -> None:
    assert server.log_path is not None
    assert "DEMO LOGINS ARE ON" in server.log_path.read_text()
    refused = subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "serve", "--host", "0.0.0.0", "--port", "9"],
        env={**server_env, "GOLDENHOUR_DEMO_LOGINS": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "GOLDENHOUR_DEMO_LOGINS" in refused.stdout


@pytest.mark.parametrize("username", ["dispatcher", "crew-a01", "admin"])
async def test_demo_logins_work_as_printed(http: httpx.AsyncClient, username: str) -> None:
    answer = (await token_answer(http, username, username)).json()
    assert answer["must_change_password"] is False
