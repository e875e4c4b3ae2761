"""Every operation in /openapi.json fuzzed as every role: no 5xx, no undocumented status, no
answer that breaks its own schema.

Schemathesis (its CLI, so the run is exactly what an operator would run by hand) generates valid
and invalid requests from the document, with a fixed seed and a time budget per role, against a
real server on its own freshly seeded database (the fuzzer creates incidents, moves units and
changes hospital status: nothing another test relies on). The figures go to
``test-artifacts/fuzz.json`` and are printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.chaos.harness import drop_database, make_database
from tests.conftest import ROOT, RUN_ID, ServerProcess, _base_database_url
from tests.support import login

pytestmark = pytest.mark.fuzz

# admin last: its run may change accounts (never these ones: generated names are random)
ROLES = (
    "dispatcher",
    "supervisor",
    "crew-a01",
    "hospital-1",
    "auditor",
    "telephony",
    "admin",
    None,
)
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
SEED = 20261204
SECONDS_PER_ROLE = int(os.environ.get("FUZZ_SECONDS_PER_ROLE", "16"))


@pytest.fixture(scope="module")
def fuzz_server(
    map_dir: Path, secret_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    base = make_url(_base_database_url()).set(database="postgres")
    url = make_database(
        base.render_as_string(hide_password=False),
        f"gh_fuzz_{RUN_ID}_{secrets.token_hex(3)}",
        map_dir,
    )
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        GOLDENHOUR_SECRET_KEY=secret_key,
        GOLDENHOUR_MAP_DIR=str(map_dir),
        GOLDENHOUR_REDIS_CHANNEL=f"gh-fuzz-{RUN_ID}:events",
    )
    server = ServerProcess(env=env)
    server.log_path = tmp_path_factory.mktemp("fuzz") / "server.log"
    try:
        server.start()
        yield server
    finally:
        server.stop()
        drop_database(url)


def _tokens(server: ServerProcess) -> dict[str | None, str | None]:
    async def go() -> dict[str | None, str | None]:
        out: dict[str | None, str | None] = {None: None}
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            for role in ROLES:
                if role is not None:
                    out[role] = (await login(http, role))["Authorization"]
        return out

    return asyncio.run(go())


def _run(server: ServerProcess, header: str | None, report: Path) -> dict[str, int]:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        CHECKS,
        "--seed",
        str(SEED),
        "--max-time",
        str(SECONDS_PER_ROLE),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
        "--request-timeout",
        "30",
        # logging out would end the very session the rest of the run uses; the session tests
        # cover logout (tests/integration/test_sessions.py)
        "--exclude-path",
        "/api/v1/auth/logout",
    ]
    if header is not None:
        command += ["--header", f"Authorization:{header.removeprefix('Authorization:')}"]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=SECONDS_PER_ROLE * 4 + 60,
        check=False,
        cwd=ROOT,
    )
    return {"exit": done.returncode, "output": done.stdout[-6000:] + done.stderr[-2000:]}  # type: ignore[dict-item]


def test_fuzzing_every_operation_as_every_role_finds_nothing(
    fuzz_server: ServerProcess, tmp_path: Path
) -> None:
    tokens = _tokens(fuzz_server)
    figures: dict[str, dict[str, object]] = {}
    outputs = {}
    for role, header in tokens.items():
        name = role or "anonymous"
        report = tmp_path / f"{name}.json"
        run = _run(fuzz_server, header, report)
        outputs[name] = run["output"]
        data = json.loads(report.read_text()) if report.exists() else {}
        failures = {f["code"]: f["count"] for f in data.get("failures", [])}
        figures[name] = {
            "exit": run["exit"],
            "operations": data.get("operations", {}).get("tested"),
            "cases": data.get("test_cases", {}).get("generated"),
            "failures": failures,  # ST103 undocumented status, server errors, schema breaks
            "errors": sum(e.get("count", 0) for e in data.get("errors", [])),
        }
    total = {
        "operations": max(int(f["operations"] or 0) for f in figures.values()),
        "cases": sum(int(f["cases"] or 0) for f in figures.values()),
        "failures": sum(sum(f["failures"].values()) for f in figures.values()),  # type: ignore[union-attr]
        "errors": sum(int(f["errors"]) for f in figures.values()),  # type: ignore[call-overload]
        "seed": SEED,
        "seconds_per_role": SECONDS_PER_ROLE,
    }
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "fuzz.json").write_text(json.dumps({"total": total, "roles": figures}, indent=2))
    print(json.dumps({"total": total, "roles": figures}))
    bad = {
        k: outputs[k] for k, f in figures.items() if f["exit"] != 0 or f["failures"] or f["errors"]
    }
    assert not bad, "\n\n".join(f"== {k}\n{v}" for k, v in bad.items())
