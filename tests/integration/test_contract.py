"""The API contract: every value a client must handle is published, and every operation says
what it answers.

A new unit status (``returning`` once slipped through) must reach the OpenAPI document, the
front end's types, the crew app's lifecycle table and docs/api.md together; these tests fail,
naming the value and the place, until it does. The document is built from ``create_app()``
like ``scripts/openapi.py`` does; no server or database is needed.
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from dispatch.api.app import create_app
from dispatch.api.auth import Role
from dispatch.config import Settings
from dispatch.domain.model import IncidentStatus, UnitStatus

ROOT = Path(__file__).resolve().parents[2]
FRONTEND_SRC = ROOT / "frontend" / "src"
API_DOC = ROOT / "docs" / "api.md"
PRIORITIES = (1, 2, 3, 4)

STRING_ENUMS: tuple[type[StrEnum], ...] = (UnitStatus, IncidentStatus, Role)
STRING_VALUES = [
    pytest.param(e, v.value, id=f"{e.__name__}.{v.value}") for e in STRING_ENUMS for v in e
]
UNIT_STATUSES = [pytest.param(s.value, id=s.value) for s in UnitStatus]
EVERY_VALUE = [
    *(pytest.param(f"`{v.value}`", id=f"{e.__name__}.{v.value}") for e in STRING_ENUMS for v in e),
    *(pytest.param(f"`{p}`", id=f"priority.{p}") for p in PRIORITIES),
]


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    settings = Settings(secret_key=SecretStr(secrets.token_hex(32)))
    return create_app(settings).openapi()


def _quoted(value: str) -> re.Pattern[str]:
    return re.compile(rf"""["'`]{re.escape(value)}["'`]""")


def _read_all(paths: list[Path]) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


# --- the enums reach every place that must know them ---------------------------------------------


@pytest.mark.parametrize(("enum", "value"), STRING_VALUES)
def test_openapi_lists_every_enum_value(
    openapi: dict[str, Any], enum: type[StrEnum], value: str
) -> None:
    schema = openapi["components"]["schemas"].get(enum.__name__)
    assert schema is not None, f"no {enum.__name__} schema in /openapi.json"
    assert value in schema["enum"], f"{enum.__name__} in /openapi.json lacks {value!r}"


def test_openapi_lists_the_priorities(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for model in ("Incident", "PriorityKpi"):
        priority = schemas[model]["properties"]["priority"]
        assert priority.get("enum") == list(PRIORITIES), f"{model}.priority: {priority}"


@pytest.mark.parametrize(("enum", "value"), STRING_VALUES)
def test_front_end_types_name_every_enum_value(enum: type[StrEnum], value: str) -> None:
    files = sorted(FRONTEND_SRC.rglob("types.ts"))
    assert files, f"no types.ts under {FRONTEND_SRC}"
    assert _quoted(value).search(_read_all(files)), (
        f"{enum.__name__} value {value!r} is in no frontend/src/**/types.ts"
    )


@pytest.mark.parametrize("status", UNIT_STATUSES)
def test_crew_lifecycle_has_every_unit_status(status: str) -> None:
    files = sorted((FRONTEND_SRC / "crew").rglob("lifecycle.ts"))
    assert files, "no lifecycle.ts under frontend/src/crew"
    assert _quoted(status).search(_read_all(files)), (
        f"unit status {status!r} is missing from the crew app's lifecycle table"
    )


@pytest.mark.parametrize("value", EVERY_VALUE)
def test_api_docs_list_every_value(value: str) -> None:
    assert value in API_DOC.read_text(encoding="utf-8"), f"{value} is not in docs/api.md"


# --- every operation documents its answer and its problems ---------------------------------------


def _operations(openapi: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
    ]


def test_every_operation_has_a_response_schema(openapi: dict[str, Any]) -> None:
    missing = []
    for name, op in _operations(openapi):
        success = [(s, r) for s, r in op["responses"].items() if s.startswith("2")]
        if [s for s, _ in success] == ["204"] and not success[0][1].get("content"):
            continue  # No Content (a logout, a password change): nothing to describe
        content = success[0][1].get("content", {}) if success else {}
        if not content or not all(media.get("schema") for media in content.values()):
            missing.append(name)
    assert not missing, f"operations without a response model: {missing}"


def test_every_error_is_a_documented_problem(openapi: dict[str, Any]) -> None:
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    assert "Problem" in openapi["components"]["schemas"]
    assert "HTTPValidationError" not in openapi["components"]["schemas"], (
        "some operation has FastAPI's default 422 instead of the problem document"
    )
    wrong = []
    for name, op in _operations(openapi):
        statuses = set(op["responses"])
        expected = {"500"}
        params = op.get("parameters", [])
        if params or "requestBody" in op:
            expected.add("422")
        if any(p["in"] == "path" for p in params):
            expected.add("404")
        if op.get("security"):
            expected.add("401")
        if not expected <= statuses:
            wrong.append(f"{name} lacks {sorted(expected - statuses)}")
        for status, response in op["responses"].items():
            if status[0] in "45" and response.get("content") != {
                "application/problem+json": problem
            }:
                wrong.append(f"{name} {status} is not application/problem+json Problem")
    assert not wrong, "\n".join(wrong)
