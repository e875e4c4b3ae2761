"""``DATABASE_URL`` with one server or a list of them (failover, ``docker/failover.md``).

A list is accepted in libpq's spelling and in SQLAlchemy's, and comes out in the one spelling
that SQLAlchemy's asyncpg dialect (the server's engine) and asyncpg's own DSN parser (``admin``:
create and drop database) read as the same list. These tests read the result with SQLAlchemy's
real URL parser and dialect; ``tests/chaos/test_failover.py`` connects with it to real servers.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from dispatch.config import Settings, normal_database_url
from dispatch.store.admin import _server_dsn


def _connect_args(url: str) -> dict[str, Any]:
    """What SQLAlchemy's asyncpg dialect hands ``asyncpg.connect`` for ``url`` (an engine
    connects only when asked to: none is made here)."""
    engine = create_async_engine(url)
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    return dict(kwargs)


def _settings(url: str) -> Settings:
    return Settings(database_url=url, secret_key=SecretStr("k" * 40))


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/goldenhour",
        "postgresql://postgres@db/goldenhour",
        "postgres://gh:p%40ss@db.example:6432/goldenhour?sslmode=require",
        "postgresql://postgres@/goldenhour?host=/var/run/postgresql",
        "postgresql+asyncpg://postgres@127.0.0.1/goldenhour",
    ],
)
def test_one_server_is_left_exactly_as_given(url: str) -> None:
    assert normal_database_url(url) == url
    assert _settings(url).database_url == url


def test_a_libpq_list_becomes_one_spelling_with_every_port_and_the_session_attrs() -> None:
    url = "postgresql://gh:s3cr%40t@pg-a:5432,pg-b:5433/goldenhour?target_session_attrs=read-write"
    out = normal_database_url(url)
    assert out == (
        "postgresql://gh:s3cr%40t@/goldenhour"
        "?host=pg-a,pg-b&port=5432,5433&target_session_attrs=read-write"
    )
    assert normal_database_url(out) == out  # read twice, same answer
    parsed = make_url(out)
    assert (parsed.username, parsed.password, parsed.database) == ("gh", "s3cr@t", "goldenhour")


def test_the_engine_gets_the_list_the_owner_password_and_the_session_attrs() -> None:
    url = "postgresql://gh:s3cret@pg-a:5432,pg-b:5433/goldenhour?target_session_attrs=read-write"
    settings = _settings(url)
    owner = _connect_args(settings.async_database_url)
    assert owner["host"] == ["pg-a", "pg-b"] and owner["port"] == [5432, 5433]
    assert owner["password"] == "s3cret" and owner["user"] == "gh"
    assert owner["target_session_attrs"] == "read-write"
    # the server's own login: the application role on the same list, without the owner's password
    app = _connect_args(settings.async_app_database_url)
    assert app["host"] == ["pg-a", "pg-b"] and app["port"] == [5432, 5433]
    assert app["user"] == "goldenhour_app" and "password" not in app
    assert app["target_session_attrs"] == "read-write"
    assert settings.app_role == "goldenhour_app"


def test_hosts_without_ports_get_libpqs_default_port() -> None:
    out = normal_database_url("postgresql://gh@pg-a,pg-b:6432/gh?target_session_attrs=primary")
    assert _connect_args(out.replace("postgresql://", "postgresql+asyncpg://"))["port"] == [
        5432,
        6432,
    ]


def test_sqlalchemys_spelling_and_libpqs_port_list_are_accepted_too() -> None:
    expected = "postgresql://gh@/gh?host=pg-a,pg-b&port=5432,5433&target_session_attrs=read-write"
    sqlalchemy_style = (
        "postgresql://gh@/gh?host=pg-a:5432&host=pg-b:5433&target_session_attrs=read-write"
    )
    libpq_query_style = (
        "postgresql://gh@/gh?host=pg-a,pg-b&port=5432,5433&target_session_attrs=read-write"
    )
    assert normal_database_url(sqlalchemy_style) == expected
    assert normal_database_url(libpq_query_style) == expected


def test_other_parameters_survive_with_percent_escapes_not_plus_signs() -> None:
    out = normal_database_url(
        "postgresql://gh@a,b/gh?target_session_attrs=read-write&application_name=night%20desk"
    )
    assert out.endswith("&target_session_attrs=read-write&application_name=night%20desk")


def test_admin_connects_to_the_list_in_the_postgres_database() -> None:
    dsn = _server_dsn(
        "postgresql://gh:pw@a:5432,b:5433/gh?target_session_attrs=read-write", "postgres"
    )
    parsed = make_url(dsn)
    assert parsed.database == "postgres" and parsed.password == "pw"
    assert parsed.query["host"] == "a,b" and parsed.query["port"] == "5432,5433"
    assert parsed.query["target_session_attrs"] == "read-write"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("postgresql://gh@a,b/gh", "target_session_attrs=read-write"),
        ("postgresql://gh@a,b/gh?target_session_attrs=any", "target_session_attrs=read-write"),
        ("postgresql://gh@a,b/gh?target_session_attrs=standby", "target_session_attrs=read-write"),
        ("postgresql://gh@a,,b/gh?target_session_attrs=read-write", "empty host name"),
        ("postgresql://gh@a:54x2,b/gh?target_session_attrs=read-write", "not a port number"),
        ("postgresql://gh@a:0,b/gh?target_session_attrs=read-write", "not a port number"),
        ("postgresql://gh@[::1]:5432,b/gh?target_session_attrs=read-write", "IPv6"),
        ("postgresql://gh@/gh?host=a,b,c&port=1,2&target_session_attrs=read-write", "3 hosts"),
        ("postgresql://gh@a:1,b:2/gh?host=c&target_session_attrs=read-write", "both"),
        ("mysql://gh:pw@a/gh", "must be a postgresql:// URL"),
    ],
)
def test_a_url_that_cannot_work_is_refused_saying_why(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normal_database_url(url)


def test_the_server_refuses_a_list_without_read_write_at_start_without_echoing_the_password() -> (
    None
):
    with pytest.raises(ValidationError) as caught:
        _settings("postgresql://gh:hunter2hunter2@a:5432,b:5432/gh")
    message = str(caught.value)
    assert "DATABASE_URL lists 2 servers" in message and "target_session_attrs" in message
    assert "hunter2" not in message
    with pytest.raises(ValidationError, match="GOLDENHOUR_APP_DATABASE_URL"):
        Settings(app_database_url="postgresql://gh_app@a,b/gh", secret_key=SecretStr("k" * 40))
    with pytest.raises(ValidationError) as caught:
        _settings("mysql://gh:hunter2hunter2@a/gh")
    assert "hunter2" not in str(caught.value)
