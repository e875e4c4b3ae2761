"""Give the server's database role the password in ``GOLDENHOUR_APP_DATABASE_URL``.

``goldenhour migrate`` creates the least-privilege role ``<database>_app`` without a password,
which suits a host with local trust authentication. In compose the server reaches PostGIS over
the network and the postgis image asks for a password (scram-sha-256), so the migrate job runs
this after the migration. The password is read from the very URL the server will log in with,
so the two cannot disagree, and it is quoted by the server (``format('%L')``), never pasted.
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg
from sqlalchemy.engine import make_url

from dispatch.config import get_settings


async def set_password() -> str:
    """Set the role's password; return the role's name. Raises SystemExit on a bad setting."""
    settings = get_settings()
    if not settings.app_database_url:
        raise SystemExit("GOLDENHOUR_APP_DATABASE_URL is not set: nothing to do")
    app_url = make_url(settings.app_database_url)
    if app_url.username != settings.app_role:
        raise SystemExit(
            f"GOLDENHOUR_APP_DATABASE_URL logs in as {app_url.username!r}, but migrate created "
            f"{settings.app_role!r} for this database"
        )
    if not app_url.password:
        raise SystemExit("GOLDENHOUR_APP_DATABASE_URL has no password")
    owner = make_url(settings.database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(owner.render_as_string(hide_password=False))
    try:
        statement = await conn.fetchval(
            "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)",
            settings.app_role,
            str(app_url.password),
        )
        await conn.execute(statement)
    finally:
        await conn.close()
    return settings.app_role


def main() -> None:
    role = asyncio.run(set_password())
    print(f"password set for {role}", file=sys.stderr)


if __name__ == "__main__":
    main()
