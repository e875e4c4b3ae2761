"""Database housekeeping: create the database when missing, run migrations, drop test databases."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _server_dsn(url: str, database: str) -> str:
    """A plain libpq DSN for ``url``'s server but another database (e.g. ``postgres``)."""
    u = make_url(url).set(drivername="postgresql", database=database)
    return u.render_as_string(hide_password=False)


async def create_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True when it was created."""
    name = make_url(url).database
    if not name:
        raise ValueError("DATABASE_URL names no database")
    conn = await asyncpg.connect(_server_dsn(url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
        return not exists
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    name = make_url(url).database
    conn = await asyncpg.connect(_server_dsn(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def migrate(async_url: str, revision: str = "head") -> None:
    """``alembic upgrade`` to ``revision``; the first migration creates the PostGIS extension."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_url)
    command.upgrade(config, revision)
