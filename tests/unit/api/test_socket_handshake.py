"""Issue 12: what a socket must show before it is accepted (``dispatch.api.handshake``): a token
offered as a subprotocol, never in the URL, and an allowed ``Origin``."""

from __future__ import annotations

import pytest
from starlette.requests import HTTPConnection

from dispatch.api.handshake import Refused, check_origin, own_origin, socket_token
from dispatch.socket_protocol import bearer_token, normal_origin, offer, selected

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkaXNwYXRjaGVyIn0.c2lnbmF0dXJl_-"


def _socket(
    *,
    host: str = "127.0.0.1:8000",
    origin: str | None = None,
    query: str = "",
    subprotocols: list[str] | None = None,
    scheme: str = "ws",
) -> HTTPConnection:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return HTTPConnection(
        {
            "type": "websocket",
            "scheme": scheme,
            "path": "/ws/console",
            "query_string": query.encode(),
            "headers": headers,
            "server": ("127.0.0.1", 8000),
            "subprotocols": subprotocols or [],
        }
    )


def test_the_client_offers_the_protocol_and_the_token_and_the_server_selects_the_protocol() -> None:
    offered = offer(JWT)
    assert offered == ["goldenhour.v1", f"bearer.{JWT}"]
    assert bearer_token(offered) == JWT
    assert selected(offered) == "goldenhour.v1"  # never the token
    assert selected([f"bearer.{JWT}"]) is None
    assert bearer_token(["goldenhour.v1"]) is None
    assert bearer_token(["goldenhour.v1", "bearer."]) is None


def test_the_socket_token_comes_from_the_subprotocol() -> None:
    assert socket_token(_socket(subprotocols=offer(JWT))) == JWT
    assert socket_token(_socket(subprotocols=["goldenhour.v1"])) is None
    assert socket_token(_socket(query="since=42", subprotocols=offer(JWT))) == JWT


@pytest.mark.parametrize("query", [f"token={JWT}", f"since=3&token={JWT}", "token="])
def test_a_token_in_the_url_is_refused_even_with_a_good_subprotocol(query: str) -> None:
    with pytest.raises(Refused, match="token in the URL"):
        socket_token(_socket(query=query, subprotocols=offer(JWT)))


@pytest.mark.parametrize(
    ("origin", "normal"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("HTTPS://Console.Example:443", "https://console.example"),
        ("http://console.example:80/", "http://console.example"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("file://", None),
        ("http://user@console.example", None),
        ("http://console.example/path", None),
        ("http://console.example:99999", None),
        ("", None),
    ],
)
def test_origins_have_one_spelling(origin: str, normal: str | None) -> None:
    assert normal_origin(origin) == normal


def test_same_origin_is_the_scheme_and_host_the_request_came_to() -> None:
    assert own_origin(_socket()) == "http://127.0.0.1:8000"
    assert own_origin(_socket(host="gh.example", scheme="wss")) == "https://gh.example"
    check_origin(_socket(origin="http://127.0.0.1:8000"), [], without_origin=False)
    check_origin(
        _socket(host="gh.example", scheme="wss", origin="https://gh.example:443"),
        [],
        without_origin=False,
    )


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://127.0.0.1:8001",  # another port is another origin
        "https://127.0.0.1:8000",  # and another scheme
    ],
)
def test_another_origin_is_refused_unless_listed(origin: str) -> None:
    with pytest.raises(Refused, match="origin not allowed"):
        check_origin(_socket(origin=origin), [], without_origin=True)
    check_origin(_socket(origin=origin), [origin.upper()], without_origin=True)


@pytest.mark.parametrize("origin", ["null", "http://127.0.0.1:8000.evil.example"])
def test_what_is_not_an_origin_cannot_be_allowed_by_listing_it(origin: str) -> None:
    with pytest.raises(Refused):
        check_origin(_socket(origin=origin), [origin], without_origin=True)


def test_no_origin_is_a_non_browser_client_allowed_unless_the_setting_says_no() -> None:
    check_origin(_socket(), [], without_origin=True)
    with pytest.raises(Refused, match="Origin header is required"):
        check_origin(_socket(), ["http://127.0.0.1:8000"], without_origin=False)


def test_the_allowed_origins_setting_refuses_what_is_not_an_origin() -> None:
    from pydantic import ValidationError

    from dispatch.config import Settings

    settings = Settings(allowed_origins=["https://console.example:443"])  # type: ignore[call-arg]
    assert settings.allowed_origins == ["https://console.example:443"]
    with pytest.raises(ValidationError, match="not an http"):
        Settings(allowed_origins=["console.example"])  # type: ignore[call-arg]
