"""Structured logs: one JSON object per line, each carrying the request it belongs to.

``goldenhour serve`` sends every record of the process (its own loggers, uvicorn's, the
libraries') through structlog's :class:`~structlog.stdlib.ProcessorFormatter`, so one line is
one JSON object with ``time`` (UTC), ``level``, ``logger``, ``event`` and, while a request or a
socket is being served, its ``request_id`` and the login's ``user`` (the user name, never the
token). Logs are for operators; a machine reads them (journald, Loki, Elasticsearch), so the
format is JSON in production and there is no second one to keep working.

Where the request id and user come from: :class:`dispatch.api.observe.Observe` puts a
:class:`RequestContext` in a context variable for each request and socket (the request id is the
client's ``X-Request-ID`` when it sent a sane one, else a new one), and the app's ``authorize``
dependency fills in the user once the token is checked (:func:`note_user`). The context is one
mutable object, not values bound one by one, because FastAPI may run parts of a request in a
copied context: a change made there to a bound value would not be seen by the line the
middleware writes at the end, while a change to the shared object is.

No token reaches a line: every string value of every record is passed through
:func:`dispatch.api.access_log.redact` (``token=``, ``bearer.<token>``, ``Bearer <token>``), and
:class:`~dispatch.api.access_log.RedactTokens` still filters uvicorn's records first.
"""

from __future__ import annotations

import logging
import os
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from dispatch.api.access_log import RedactTokens, redact


@dataclass(slots=True)
class RequestContext:
    """What every log line written while serving one request or socket carries."""

    request_id: str
    user: str | None = None


CURRENT: ContextVar[RequestContext | None] = ContextVar("goldenhour_request", default=None)


def note_user(username: str) -> None:
    """The request being served is by ``username`` (called once its token is checked)."""
    context = CURRENT.get()
    if context is not None:
        context.user = username


def _request(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    context = CURRENT.get()
    if context is not None:
        event.setdefault("request_id", context.request_id)
        if context.user is not None:
            event.setdefault("user", context.user)
    return event


def _redacted(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact(value)
    return event


def configure(level: str = "INFO", *, worker: int | None = None) -> None:
    """Route every log record of this process to stderr as one JSON object per line.

    ``worker`` (the slot of a ``serve --workers N`` process) and the pid go on every line, so the
    lines of several workers writing to one stream can be told apart.
    """
    static: dict[str, Any] = {"pid": os.getpid()}
    if worker is not None:
        static["worker"] = worker

    def _process(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
        for key, value in static.items():
            event.setdefault(key, value)
        return event

    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        _request,
        _process,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redacted,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
