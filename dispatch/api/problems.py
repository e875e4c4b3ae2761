"""RFC 9457 problem details for every error the API returns, with a stable machine ``code``.

No request may end in a bare 500 page, a hang or a dropped connection: domain errors, validation
errors, HTTP errors, an unreachable database and unexpected bugs all become problem documents.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.api.problem_text import CONTENT_LANGUAGE, Language, localise, negotiate
from dispatch.domain.errors import DomainError, FileRefused
from dispatch.domain.limits import PLAIN_TEXT_PATTERN, control_character

log = logging.getLogger("goldenhour.api")

PROBLEM_BASE = "https://goldenhour.dev/problems/"

STATUS_BY_CODE: dict[str, int] = {
    "not-found": 404,
    "invalid-location": 422,
    "off-road": 422,
    "address-not-found": 422,
    "unit-not-available": 409,
    "unit-not-capable": 409,
    "incident-not-assignable": 409,
    "illegal-transition": 409,
    "unit-has-no-position": 409,
    "concurrent-change": 409,
    "order-not-current": 409,
    "idempotency-key-reused": 422,
    "cancel-refused": 409,
    "divert-refused": 409,
    "unknown-crs": 422,
    "unknown-complaint": 422,
    "invalid-answer": 422,
    "unknown-capability": 422,
    "beds-without-capability": 422,
    "unknown-time-element": 422,
    "invalid-time": 422,
    "unknown-protocol-version": 422,
    "times-out-of-order": 409,
    "invalid-triage": 422,
    "destination-refused": 409,
    "invalid-protocol": 500,
    "invalid-note": 422,
    "outside-map": 422,
    "weak-password": 422,
    "wrong-password": 422,
    "invalid-binding": 422,
    "user-exists": 409,
    "own-account": 409,
    # mass-casualty incidents (dispatch.domain.mci, dispatch.services.mci)
    "invalid-patient": 422,
    "illegal-patient-transition": 409,
    "patient-not-transportable": 409,
    "unit-overloaded": 422,
    "role-binding-refused": 409,
    "invalid-surge-capacity": 422,
    "mci-refused": 422,
    "mci-not-declared": 404,
    "mci-already-declared": 409,
    "patient-tag-taken": 409,
    "unit-not-on-incident": 409,
    "not-role-holder": 403,
    # emergency blood supply (dispatch.domain.blood, dispatch.services.blood)
    "invalid-blood-group": 422,
    "invalid-blood-product": 422,
    "invalid-blood-request": 422,
    "invalid-stock-lot": 422,
    "stock-import-refused": 422,
    "history-import-refused": 422,
    "signal-already-acknowledged": 409,
    "illegal-job-transition": 409,
    "handover-refused": 403,
    "blood-bank-exists": 409,
    "not-a-courier": 409,
    "ambulance-not-offered": 409,
    "request-not-reserved": 409,
    "not-your-job": 403,
}

_TITLE_BY_STATUS = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable request",
    429: "Too many attempts",
    503: "Service unavailable",
}


class Problem(Exception):
    """Raise from a route for an error that is not a domain rule (auth, permissions).

    ``params``: the values ``detail`` names, for the same detail in the reader's language
    (``dispatch.api.problem_text``)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers
        self.params = params or {}


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    lang: Language = "en",
    params: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem document in ``lang`` (title and detail; the code and fields never change)."""
    title, detail = localise(
        lang,
        status=status,
        code=code,
        title=title or _TITLE_BY_STATUS.get(status, "Error"),
        detail=detail,
        params=params,
    )
    body = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {
        **(headers or {}),
        "Content-Language": CONTENT_LANGUAGE[lang],
        "Vary": "Accept-Language",
    }
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def install(app: FastAPI, *, default_language: Language = "en") -> None:
    """Answer every error as a problem document, in the language the request asks for
    (``Accept-Language``), else in the centre's (``default_language``)."""

    def lang_of(request: Request) -> Language:
        return negotiate(request.headers.get("accept-language"), default_language)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.code,
            exc.detail,
            headers=exc.headers,
            lang=lang_of(request),
            params=exc.params,
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status = STATUS_BY_CODE.get(exc.code, 409)
        extra: dict[str, Any] = {}
        if isinstance(exc, FileRefused):  # every bad cell, so the file is fixed in one go
            extra["rows"] = [
                {"row": e.row, "column": e.column, "reason": e.reason} for e in exc.errors
            ]
        return problem_response(
            status,
            exc.code,
            exc.detail,
            title=exc.title,
            lang=lang_of(request),
            params=exc.params,
            **extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_issue(e) for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"][1:]) or "body"
        lang = lang_of(request)
        if errors and all(_names_nothing(e) for e in errors):
            return problem_response(404, "not-found", f"{where}: no such id", lang=lang)
        return problem_response(
            422,
            "validation-error",
            f"{where}: {first['msg']}",
            lang=lang,
            params={"where": where},
            errors=jsonable_encoder(errors),
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if is_storage_outage(exc) or not is_bad_value(exc):
            raise exc  # to _unexpected: 503 for an outage, a logged 500 for a bug
        log.warning("a value the database refused reached it: %s", exc.orig)
        return problem_response(
            422,
            "invalid-value",
            "A value in the request is out of range or not storable.",
            lang=lang_of(request),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        lang = lang_of(request)
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # Bytes that are not even text (FastAPI's 400): the same answer as text that is not
            # JSON (its 422 json_invalid), so a client has one rule for "the body is not JSON".
            return problem_response(
                422,
                "validation-error",
                "The request body is not valid JSON (UTF-8 text expected)",
                lang=lang,
                params={"where": "body"},
                errors=[{"loc": ["body"], "msg": "not UTF-8 JSON", "type": "json_invalid"}],
            )
        code = {404: "not-found", 405: "method-not-allowed", 401: "not-authenticated"}.get(
            exc.status_code, "http-error"
        )
        return problem_response(
            exc.status_code,
            code,
            str(exc.detail),
            headers=getattr(exc, "headers", None),
            lang=lang,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        lang = lang_of(request)
        if is_storage_outage(exc):
            log.error("storage unavailable: %s", exc)
            return problem_response(
                503,
                "storage-unavailable",
                # not "nothing was changed": a connection lost during COMMIT may have committed
                "The database is not reachable. Retry in a few seconds: a retry with the same "
                "Idempotency-Key or client_seq is never applied twice.",
                headers={"Retry-After": "2"},
                lang=lang,
            )
        log.exception("unhandled error")
        return problem_response(
            500, "internal-error", "Unexpected server error; it was logged.", lang=lang
        )


def _issue(error: Any) -> dict[str, Any]:
    """One validation error as the problem lists it: where, why, and a type for programs. The
    plain-text pattern is named for what it refuses, not shown as a regular expression."""
    issue = {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error["type"]}
    pattern = (error.get("ctx") or {}).get("pattern")
    if issue["type"] == "string_pattern_mismatch" and pattern == PLAIN_TEXT_PATTERN:
        found = control_character(str(error.get("input", ""))) or "a control character"
        issue["type"] = "control_character"
        issue["msg"] = f"{found}: only tab and newline are allowed among control characters"
    return issue


def _names_nothing(issue: dict[str, Any]) -> bool:
    """An id in the path outside the id range: the URL names no resource, so 404 (not 422),
    exactly as for an unused id in range."""
    return bool(issue["loc"]) and issue["loc"][0] == "path" and issue["type"] in _RANGE_ERRORS


_RANGE_ERRORS = ("greater_than_equal", "less_than_equal")


def is_bad_value(exc: DBAPIError) -> bool:
    """The database (or its driver) refused a value: SQLSTATE class 22, data exception (a number
    out of a column's range, NUL in text, a time it cannot convert). A safety net behind the
    request types, which refuse such values first: if one gets through, the client still gets a
    422, never a 500."""
    return str(getattr(exc.orig, "sqlstate", None) or "").startswith("22")


#: SQLSTATEs of a server that is unreachable, shutting down, starting up or out of connections:
#: class 08 (connection exception), 57P01..57P03 (admin / crash shutdown, "the database system
#: is starting up"), 53300 (too many connections).
_OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_storage_outage(exc: BaseException) -> bool:
    """A lost or refused database connection (retryable), as opposed to a bug in a query."""
    if isinstance(
        exc, OperationalError | InterfaceError | ConnectionError | TimeoutError | PoolTimeout
    ):
        return True
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        return (
            bool(exc.connection_invalidated)
            or isinstance(exc.orig, ConnectionError | OSError)
            or sqlstate.startswith(_OUTAGE_SQLSTATES)
        )
    return isinstance(exc, OSError)
