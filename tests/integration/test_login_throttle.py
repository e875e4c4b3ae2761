"""Guessing passwords: answers slow down after 5 failures, the account locks at 10, an address
with 30 failures is turned away with 429, and the admin sees it all and can unlock.

Run on an app process of its own with the production numbers but short delays (the delays
double from 0.2 s up to 0.8 s here, from 1 s up to 8 s by default), so the story takes seconds.
The attacker and the real user come from different addresses (``X-Forwarded-For``, which the
server takes from a proxy on the same machine, as the test client is).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from tests.conftest import ServerProcess
from tests.logins import new_login, token_answer
from tests.support import assert_problem, login

ATTACKER = "10.66.0.1"
THE_USER = "10.66.0.2"


@pytest.fixture(scope="module")
def guarded_server(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        env={**server_env, "GOLDENHOUR_LOGIN_DELAY_S": "0.2", "GOLDENHOUR_LOGIN_MAX_DELAY_S": "0.8"}
    )
    proc.log_path = tmp_path_factory.mktemp("throttle") / "server.log"
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
async def guarded(guarded_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=guarded_server.url, timeout=30) as http:
        yield http


async def test_200_wrong_passwords_then_the_right_one_is_refused_and_the_admin_sees_it(
    guarded: httpx.AsyncClient, database_url: str
) -> None:
    http = guarded
    admin = await login(http, "admin")
    username, password = await new_login(http, admin, "dispatcher", prefix="target")

    answers: list[httpx.Response] = []
    took: list[float] = []
    for i in range(200):
        started = time.monotonic()
        answers.append(
            await token_answer(http, username, f"guess {i}", **{"X-Forwarded-For": ATTACKER})
        )
        took.append(time.monotonic() - started)
    codes = [(r.status_code, r.json()["code"]) for r in answers]
    assert codes[:10] == [(401, "bad-credentials")] * 10
    assert codes[10:30] == [(429, "account-locked")] * 20  # locked: the password is not looked at
    assert codes[30:] == [(429, "too-many-attempts")] * 170  # the address is turned away
    assert all(int(r.headers["Retry-After"]) > 0 for r in answers[10:])
    # after five failures each answer waits longer: 0.2, 0.4, 0.8, 0.8 s here
    assert min(took[7:10]) >= 0.8 > max(took[:4])

    # the right password, from the user's own console: still refused, the account is locked
    assert_problem(
        await token_answer(http, username, password, **{"X-Forwarded-For": THE_USER}),
        429,
        "account-locked",
    )

    listed = {
        u["username"]: u for u in (await http.get("/api/v1/admin/users", headers=admin)).json()
    }
    assert listed[username]["failed_logins"] == 31  # every attempt that reached the account
    assert listed[username]["locked_until"] is not None

    r = await http.post(f"/api/v1/admin/users/{username}/unlock", headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["failed_logins"], r.json()["locked_until"]) == (0, None)
    r = await token_answer(http, username, password, **{"X-Forwarded-For": THE_USER})
    assert r.status_code == 200, r.text

    conn = await asyncpg.connect(database_url)
    try:
        kinds = Counter(
            row["kind"]
            for row in await conn.fetch(
                "SELECT kind FROM audit WHERE actor = $1 AND kind <> 'login-succeeded'", username
            )
        )
    finally:
        await conn.close()
    assert kinds == {"login-failed": 31, "account-locked": 1}


async def test_a_name_nobody_has_is_throttled_exactly_like_a_real_one(
    guarded: httpx.AsyncClient,
) -> None:
    """Otherwise the lock would tell an attacker which names exist."""
    http = guarded
    admin = await login(http, "admin")
    real, _ = await new_login(http, admin, "dispatcher", prefix="real")
    seen = {}
    for name, address in ((real, "10.66.1.1"), ("nobody-by-this-name", "10.66.1.2")):
        seen[name] = [
            (r.status_code, r.json()["code"])
            for r in [
                await token_answer(http, name, "wrong", **{"X-Forwarded-For": address})
                for _ in range(12)
            ]
        ]
    assert seen[real] == seen["nobody-by-this-name"]
    assert seen[real][-1] == (429, "account-locked")
