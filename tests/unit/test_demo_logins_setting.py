"""Demo logins (password = user name) stay on this machine: the server refuses any other address."""

from __future__ import annotations

import pytest

from dispatch.config import Settings, demo_logins_refusal, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "dispatch.local", ""])
def test_anything_else_listens_further(host: str) -> None:
    assert not is_loopback(host)


def test_demo_logins_refuse_a_public_address_and_say_what_to_do() -> None:
    demo = Settings(demo_logins=True)
    why = demo_logins_refusal(demo, "0.0.0.0")
    assert why is not None and "GOLDENHOUR_DEMO_LOGINS=false" in why
    assert demo_logins_refusal(demo, "127.0.0.1") is None
    assert demo_logins_refusal(Settings(demo_logins=False), "0.0.0.0") is None


def test_access_tokens_live_at_most_a_quarter_of_an_hour() -> None:
    assert Settings().token_ttl_s == 900
    with pytest.raises(ValueError):
        Settings(token_ttl_s=3600)
