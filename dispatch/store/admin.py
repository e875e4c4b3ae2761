"""Database housekeeping: create the database when missing, run migrations, drop test databases.

Dropping a database also drops its application role (``<database>_app``, created by migration
0007): roles belong to the server, not to a database, so a test run that dropped only its
database would leave one role behind per run.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from dispatch.config import app_role_for, normal_database_url

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _server_dsn(url: str, database: str) -> str:
    """A plain libpq DSN for ``url``'s server but another database (e.g. ``postgres``).

    A list of servers stays a list, with its ``target_session_attrs=read-write``: asyncpg then
    connects to the one that takes writes (CREATE DATABASE on a standby would fail), wherever
    it stands in the list.
    """
    u = make_url(normal_database_url(url)).set(drivername="postgresql", database=database)
    return u.render_as_string(hide_password=False)


async def create_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True when it was created."""
    name = make_url(normal_database_url(url)).database
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


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def drop_database(url: str) -> None:
    """Drop the database named in ``url`` (closing its connections), then its application role.

    The role goes second: its privileges live in the database, so once that is gone nothing
    depends on the role any more.
    """
    name = make_url(normal_database_url(url)).database
    if not name:
        raise ValueError("the URL names no database")
    conn = await asyncpg.connect(_server_dsn(url, "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
        await conn.execute(f"DROP ROLE IF EXISTS {_quote(app_role_for(name))}")
    finally:
        await conn.close()


def migrate(async_url: str, revision: str = "head") -> None:
    """``alembic upgrade`` to ``revision``; the first migration creates the PostGIS extension."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's options are ConfigParser values, where "%" starts an interpolation: a URL with
    # %-escapes (a list of servers as SQLAlchemy renders it, "host=h1%2Ch2", or a password with
    # special characters) must have them doubled, or Alembic refuses to start.
    config.set_main_option("sqlalchemy.url", async_url.replace("%", "%%"))
    command.upgrade(config, revision)
