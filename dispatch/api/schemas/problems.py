"""How error answers appear in ``/openapi.json``: the Problem schema and per-route ``responses``.

``dispatch.api.problems`` produces every error as an RFC 9457 problem document; this module
describes those documents so a generated client knows, per operation, which statuses it may get
and that each comes as ``application/problem+json``. Routes list their statuses with
:func:`problems`; 500 (a bug, logged) is possible everywhere and always listed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dispatch.api.problems import PROBLEM_BASE, STATUS_BY_CODE

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ValidationIssue(BaseModel):
    """One reason a request was refused by validation (FastAPI's location and message)."""

    model_config = ConfigDict(extra="forbid")

    loc: list[str | int] = Field(description='where: e.g. ["body", "location", 0]')
    msg: str
    type: str


_FILES = "stock-import-refused, history-import-refused"


class RowIssue(BaseModel):
    """One bad cell of an imported file: the whole file was refused, fix every one and resend."""

    model_config = ConfigDict(extra="forbid")

    row: int = Field(description="the file's line, the header being row 1")
    column: str
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem document: every error the API returns has this shape."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description=f"{PROBLEM_BASE}<code>", examples=[PROBLEM_BASE + "not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(description="the HTTP status, repeated", examples=[404])
    detail: str = Field(description="for people: what went wrong and what to do")
    code: str = Field(description="for programs: the stable machine key", examples=["not-found"])
    errors: list[ValidationIssue] | None = Field(
        default=None, description='only with code "validation-error": every field refused'
    )
    rows: list[RowIssue] | None = Field(
        default=None, description=f"only with a refused file ({_FILES}): every bad cell"
    )


def _codes(status: int) -> str:
    return ", ".join(f"`{c}`" for c, s in sorted(STATUS_BY_CODE.items()) if s == status)


_DESCRIPTIONS: dict[int, str] = {
    401: "Not authenticated: the token is missing, invalid or expired (`not-authenticated`: "
    "renew it with POST /auth/refresh), its session has ended (`session-expired`: logged out, "
    "idle, past the end of the shift, or the account was changed; log in again), or the login "
    "was refused (`bad-credentials`).",
    403: "The login must choose a new password first (`password-change-required`), or "
    "the role may not do this (`forbidden`), or not on this object: another unit "
    "(`not-your-unit`), hospital (`not-your-hospital`), an incident the crew's unit is not "
    "assigned to (`not-your-incident`) or whose patient is not coming to this hospital "
    "(`not-routed-to-you`). Who may do what: docs/api.md, Roles.",
    404: "An id in the path names nothing (`not-found`; also for an id outside 1..2147483647), "
    "or there is nothing to show (`no-assignment`, `no-address-nearby`).",
    409: f"The request conflicts with the current state; look again and retry ({_codes(409)}).",
    422: "The request is invalid: `validation-error` (with `errors`; text with a control character "
    "other than tab and newline has the error type `control_character`, a time outside "
    "2000..2099 `time_out_of_range`), `invalid-value` (a value the database cannot store), or a "
    f"domain rule refused it ({_codes(422)}).",
    429: "Too many failed logins: from this address (`too-many-attempts`), or for this account, "
    "which is locked for a while (`account-locked`; an admin can unlock it). Retry after "
    "`Retry-After` seconds.",
    500: "Unexpected server error (`internal-error`); it was logged.",
    503: "The database is not reachable (`storage-unavailable`); retry after `Retry-After` "
    "seconds. A retry with the same Idempotency-Key or client_seq is never applied twice.",
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that may answer ``statuses`` (and 500) with a problem."""
    answer: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, 500}):
        response: dict[str, Any] = {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        answer[status] = response
    return answer


def problem_schemas() -> dict[str, Any]:
    """``components.schemas`` entries for :class:`Problem` and what it references."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = schema.pop("$defs", {})
    return {**nested, "Problem": schema}
