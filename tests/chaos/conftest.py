"""Fixtures for fault tests: a fresh database, a private Redis and app processes per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.chaos.harness import App, PrivateRedis, drop_database, make_database, start_app
from tests.conftest import RUN_ID, _base_database_url


def pytest_configure(config: pytest.Config) -> None:
    # also declared in pyproject.toml; kept here so the folder runs on its own
    config.addinivalue_line("markers", "chaos: fault injection against private servers")


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.close()


@pytest.fixture
def chaos_db(map_dir: Path) -> Iterator[str]:
    """A fresh, seeded database on the shared server (never restarted by these tests)."""
    base = make_url(_base_database_url()).set(database="postgres")
    name = f"gh_chaos_{RUN_ID}_{secrets.token_hex(3)}"
    url = make_database(base.render_as_string(hide_password=False), name, map_dir)
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def launch(map_dir: Path, secret_key: str, tmp_path: Path) -> Iterator[Callable[..., App]]:
    """``launch(database_url=, redis=, processes=)`` starts app processes, stopped afterwards."""
    apps: list[App] = []

    def go(
        *,
        database_url: str,
        redis: PrivateRedis,
        processes: int = 1,
        extra_env: dict[str, str] | None = None,
    ) -> App:
        app = start_app(
            database_url=database_url,
            redis=redis,
            map_dir=map_dir,
            secret_key=secret_key,
            log_dir=tmp_path,
            processes=processes,
            extra_env=extra_env,
        )
        apps.append(app)
        return app

    try:
        yield go
    finally:
        for app in apps:
            app.stop()


def race_rounds(default: int) -> int:
    """``CHAOS_RACE_ROUNDS`` overrides the default (``make chaos`` runs 1,000)."""
    return int(os.environ.get("CHAOS_RACE_ROUNDS", default))
