"""Issue 12: no token reaches the server's log, whatever a client sends
(``dispatch.api.access_log``, installed on uvicorn's handlers by ``goldenhour serve``)."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest

from dispatch.api.access_log import RedactTokens, redact, uvicorn_log_config

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkaXNwYXRjaGVyIn0.c2lnbmF0dXJl_-"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"/ws/console?token={JWT}", "/ws/console?token=[redacted]"),
        (f"/ws/console?since=4&token={JWT}&x=1", "/ws/console?since=4&token=[redacted]&x=1"),
        (f"/x?access_token={JWT}", "/x?access_token=[redacted]"),
        (f"goldenhour.v1, bearer.{JWT}", "goldenhour.v1, bearer.[redacted]"),
        (f"Authorization: Bearer {JWT}", "Authorization: Bearer [redacted]"),
        ("/ws/console?since=4", "/ws/console?since=4"),
    ],
)
def test_tokens_are_redacted(text: str, shown: str) -> None:
    assert redact(text) == shown
    assert JWT not in redact(text)


def test_uvicorn_access_and_socket_lines_are_written_without_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The very records uvicorn writes, through the configuration ``serve`` hands it."""
    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr("sys.stdout", stdout)
    monkeypatch.setattr("sys.stderr", stderr)
    config = uvicorn_log_config()
    config["formatters"]["default"]["use_colors"] = False
    config["formatters"]["access"]["use_colors"] = False
    logging.config.dictConfig(config)
    try:
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/api/v1/x?token={JWT}", "1.1", 200
        )
        logging.getLogger("uvicorn.error").info(
            '%s - "WebSocket %s" 403', "127.0.0.1:5", f"/ws/console?token={JWT}"
        )
    finally:
        for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
    assert "GET /api/v1/x?token=[redacted] HTTP/1.1" in stdout.getvalue()
    assert '"WebSocket /ws/console?token=[redacted]" 403' in stderr.getvalue()
    assert JWT not in stdout.getvalue() + stderr.getvalue()


def test_the_filter_keeps_every_record() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, "%s", (JWT,), None)
    assert RedactTokens().filter(record) is True
