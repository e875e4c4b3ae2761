"""Find (or start) the PostgreSQL and Redis servers Golden Hour needs; write their URLs to var/env.

Order of preference, for each server: the URL in the environment (DATABASE_URL / REDIS_URL);
a server already answering on the standard local port; last, a project-local server under var/
(initdb + pg_ctl, redis-server) on a private port. Prints the chosen URLs.
Also creates the token signing secret once (var/secret_key), so restarts keep logins valid.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
LOCAL_PG_PORT = 55432
LOCAL_REDIS_PORT = 56379


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


async def _pg_answers(dsn: str) -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        sys.exit("no PostgreSQL server binaries: run scripts/system-deps.sh (apt postgresql)")
    return Path(found[-1]).parent


def _as_postgres(cmd: list[str]) -> None:
    """initdb and postgres refuse to run as root; run them as the postgres system user."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def _start_local_postgres() -> str:
    data, run = VAR / "pg" / "data", VAR / "pg" / "run"
    bin_dir = _pg_bin()
    if not _port_open("127.0.0.1", LOCAL_PG_PORT):
        run.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            uid = pwd.getpwnam("postgres").pw_uid
            for path in (VAR / "pg", run):
                os.chown(path, uid, -1)
        if not (data / "PG_VERSION").exists():
            _as_postgres(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ]
            )
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(VAR / "pg" / "log"),
                "-o",
                f"-p {LOCAL_PG_PORT} -k {run} -c listen_addresses=127.0.0.1",
                "-w",
                "start",
            ]
        )
    return f"postgresql://postgres@127.0.0.1:{LOCAL_PG_PORT}/goldenhour"


def database_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    local = "postgresql://postgres@127.0.0.1:5432/goldenhour"
    if _port_open("127.0.0.1", 5432) and asyncio.run(
        _pg_answers(local.rsplit("/", 1)[0] + "/postgres")
    ):
        return local
    return _start_local_postgres()


def redis_url() -> str:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    if _port_open("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0"
    if not _port_open("127.0.0.1", LOCAL_REDIS_PORT):
        server = shutil.which("redis-server")
        if server is None:
            sys.exit("no redis-server: run scripts/system-deps.sh (apt redis-server)")
        (VAR / "redis").mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                server,
                "--port",
                str(LOCAL_REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(VAR / "redis"),
                "--logfile",
                str(VAR / "redis" / "log"),
            ],
            check=True,
        )
        for _ in range(50):
            if _port_open("127.0.0.1", LOCAL_REDIS_PORT):
                break
            time.sleep(0.1)
    return f"redis://127.0.0.1:{LOCAL_REDIS_PORT}/0"


def secret_key() -> str:
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> None:
    VAR.mkdir(exist_ok=True)
    db, redis = database_url(), redis_url()
    lines = [f"DATABASE_URL={db}", f"REDIS_URL={redis}", f"GOLDENHOUR_SECRET_KEY={secret_key()}"]
    (VAR / "env").write_text("\n".join(lines) + "\n")
    print(f"database: {db}\nredis:    {redis}")


if __name__ == "__main__":
    main()
