"""No token in the server's logs: a logging filter on uvicorn's handlers that blanks them.

Clients offer socket tokens as a subprotocol (``dispatch.socket_protocol``) and a ``?token=`` is
refused (``dispatch.api.handshake``), but a refused request is still logged, with its URL: an old
or hostile client's ``/ws/console?token=eyJ...`` would put a live bearer token in the access log,
readable by whoever reads logs. So every record through uvicorn's handlers (``uvicorn.access``
for HTTP, ``uvicorn.error`` for the ``"WebSocket /ws/..."`` lines) has ``token=`` query values,
``bearer.<token>`` subprotocols and ``Bearer <token>`` headers replaced with ``[redacted]``.

Each string argument is redacted on its own (not the formatted message): uvicorn's access
formatter unpacks ``record.args`` as (client, method, path, version, status).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

REDACTED = "[redacted]"

_SECRETS = re.compile(
    r"(?P<keep>token=|bearer\.|bearer\s+)[^&\s\"',;]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every token value replaced by :data:`REDACTED`."""
    return _SECRETS.sub(lambda m: m.group("keep") + REDACTED, text)


def _redacted(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Blank tokens in a record's message and string arguments (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redacted(v) for k, v in record.args.items()}
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with :class:`RedactTokens` on both its handlers (for
    ``uvicorn.run(log_config=...)``)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": RedactTokens}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_tokens")
    return config
