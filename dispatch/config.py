"""Typed settings from the environment (and a git-ignored ``.env``), read once.

``DATABASE_URL`` and ``REDIS_URL`` keep their conventional names; everything else is prefixed
``GOLDENHOUR_``. The secret has no default on purpose (the server refuses to start without
it): tokens signed with a published default would let anyone act as a dispatcher.

Two database logins: ``DATABASE_URL`` names the owner of the schema, used by ``migrate``,
``seed`` and the ``audit`` commands; the server connects as the least-privilege application
role that migration 0007 creates (``<database>_app``: no UPDATE or DELETE on ``events`` and
``audit``, no DDL), at ``GOLDENHOUR_APP_DATABASE_URL``, by default ``DATABASE_URL`` with that
role as the user and no password. That default suits local trust authentication; in production
give the role a password (``ALTER ROLE goldenhour_app PASSWORD '...'``, or psql's
``\\password goldenhour_app``) and set ``GOLDENHOUR_APP_DATABASE_URL`` to
``postgresql://goldenhour_app:<password>@<host>/goldenhour``.
"""

from __future__ import annotations

import importlib.metadata
import ipaddress
import zoneinfo
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from dispatch.domain.alarms import DEFAULT_STATUS_ALARM_S, check_thresholds
from dispatch.domain.freshness import StaleRule
from dispatch.domain.nemsis_xml import Agency
from dispatch.domain.throttle import ThrottleRules
from dispatch.socket_protocol import normal_origin

#: PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN - 1).
_MAX_IDENTIFIER_BYTES = 63
_APP_ROLE_SUFFIX = "_app"


def app_role_for(database: str) -> str:
    """The application role of ``database``: ``<database>_app``.

    Derived from the database name (not configured) so that every database, a throwaway test
    database included, has its own role: its migration creates it and ``drop_database`` drops
    it, and two databases on one server never share or fight over a role. The name is cut so
    the suffix survives PostgreSQL's 63-byte identifier limit.
    """
    room = _MAX_IDENTIFIER_BYTES - len(_APP_ROLE_SUFFIX)
    return database.encode()[:room].decode(errors="ignore") + _APP_ROLE_SUFFIX


_SCHEMES = ("postgresql+asyncpg://", "postgresql://", "postgres://")
#: libpq's port when a URL names none.
_DEFAULT_PORT = 5432
#: ``target_session_attrs`` values under which a list of servers can only yield one that takes
#: writes. ``any`` (libpq's default) would take the first server that answers, a standby too.
_WRITABLE_SESSION_ATTRS = ("read-write", "primary")


def normal_database_url(url: str, setting: str = "DATABASE_URL") -> str:
    """``url`` in a form that libpq, asyncpg and SQLAlchemy all read alike (ValueError: why not).

    A URL naming one server comes back unchanged. A URL listing several (a primary and its
    standbys, for failover: ``docker/failover.md``) has two spellings, each unreadable to one of
    the three: libpq's ``postgresql://u@h1:5432,h2:5433/db`` breaks SQLAlchemy's URL parser, and
    SQLAlchemy's ``postgresql://u@/db?host=h1:5432&host=h2:5433`` makes asyncpg's DSN parser keep
    only the last host. Both become ``postgresql://u@/db?host=h1,h2&port=5432,5433&...``, which
    all three take as the same list (an omitted port is libpq's 5432: SQLAlchemy's asyncpg
    dialect wants every port spelled out). The user name, password and every other query
    parameter are kept as given.

    A list must say ``target_session_attrs=read-write`` (or ``primary``): without it a
    connection may land on a standby, and every write on it would fail. An IPv6 literal in a
    list is refused: SQLAlchemy splits ``host:port`` at the first colon.
    """
    scheme = next((s for s in _SCHEMES if url.startswith(s)), None)
    if scheme is None:
        raise ValueError(f"{setting} must be a postgresql:// URL, got {_redacted(url)!r}")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValueError(f"{setting} is not a readable URL: {exc}") from exc
    userinfo, at, authority = parts.netloc.rpartition("@")
    query = parse_qsl(parts.query, keep_blank_values=True)
    in_query = [v for k, v in query if k == "host"]
    if authority and in_query:
        raise ValueError(f"{setting} names servers both before the path and in host=")
    if authority:
        servers = _servers(authority.split(","), [], setting)
    else:
        ports = [p for k, v in query if k == "port" for p in v.split(",")]
        servers = _servers([h for v in in_query for h in v.split(",")], ports, setting)
    if len(servers) < 2:
        return url
    attrs = [v for k, v in query if k == "target_session_attrs"]
    if len(attrs) != 1 or attrs[0] not in _WRITABLE_SESSION_ATTRS:
        raise ValueError(
            f"{setting} lists {len(servers)} servers but does not say "
            "target_session_attrs=read-write: a connection could land on a standby, which "
            "refuses every write (add ?target_session_attrs=read-write)"
        )
    rest = [(k, v) for k, v in query if k not in ("host", "port")]
    listed = [
        ("host", ",".join(host for host, _ in servers)),
        ("port", ",".join(str(port) for _, port in servers)),
    ]
    # %-escapes, never "+" for a space: libpq does not read "+" as a space
    encoded = urlencode(listed + rest, safe=",/", quote_via=quote)
    return urlunsplit((parts.scheme, userinfo + at, parts.path or "/", encoded, parts.fragment))


def _servers(specs: list[str], ports: list[str], setting: str) -> list[tuple[str, int]]:
    """``host[:port]`` items (and libpq's separate ``port=`` list) as (host, port) pairs."""
    if len(specs) < 2:
        return [(h, _DEFAULT_PORT) for h in specs]  # one server: the URL stays as it is
    if ports and len(ports) not in (1, len(specs)):
        raise ValueError(f"{setting} lists {len(specs)} hosts but {len(ports)} ports")
    out = []
    for i, spec in enumerate(specs):
        if spec.startswith("[") or spec.count(":") > 1:
            raise ValueError(
                f"{setting}: an IPv6 address in a list of servers ({spec}) is not supported; "
                "name the servers by host name or IPv4 address"
            )
        host, colon, port = spec.partition(":")
        if colon and ports:
            raise ValueError(f"{setting} gives {host}'s port both as host:port and in port=")
        if not colon and ports:
            port = ports[0] if len(ports) == 1 else ports[i]
        if not host:
            raise ValueError(f"{setting} lists an empty host name (a stray comma?)")
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"{setting}: {port!r} is not a port number (host {host})")
        out.append((unquote(host), int(port) if port else _DEFAULT_PORT))
    return out


def _redacted(url: str) -> str:
    """``url`` without its password, for an error message that may end up in a log."""
    userinfo, at, rest = url.rpartition("@")
    if at and ":" in userinfo.partition("://")[2]:
        return userinfo.rpartition(":")[0] + ":***@" + rest
    return url


def _asyncpg_url(url: str, setting: str) -> str:
    """SQLAlchemy's asyncpg form of a PostgreSQL URL, whatever form the user gave."""
    url = normal_database_url(url, setting)
    scheme = next(s for s in _SCHEMES if url.startswith(s))
    return "postgresql+asyncpg://" + url[len(scheme) :]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GOLDENHOUR_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        # a refused DATABASE_URL must not print its password: say why, never echo the value
        hide_input_in_errors=True,
    )

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/goldenhour",
        validation_alias=AliasChoices("DATABASE_URL", "GOLDENHOUR_DATABASE_URL"),
    )
    #: The server's own login (see the module docstring); None: derived from ``database_url``.
    app_database_url: str | None = None
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "GOLDENHOUR_REDIS_URL"),
    )
    secret_key: SecretStr | None = Field(default=None, min_length=32)
    map_dir: Path = Path("var/map")
    redis_channel: str = "goldenhour:events"
    max_snap_distance_m: float = 500.0
    #: Lifetime of an access token (at most a quarter of an hour); the session behind it, renewed
    #: with the refresh token, lasts longer: see ``dispatch.domain.sessions``.
    token_ttl_s: int = Field(default=15 * 60, ge=10, le=15 * 60)
    hub_poll_interval_s: float = 2.0
    position_pushes_per_s: float = 10.0  # at most this many position updates per unit to consoles
    max_catch_up_events: int = 10_000  # a console further behind takes a fresh snapshot
    auto_dispatch_priorities: list[int] = []  # e.g. [1]: the optimiser assigns these at once
    order_resend_s: float = 10.0  # an unacknowledged dispatch order is pushed again this often
    expected_position_interval_s: float = 5.0  # crews report this often; 3x silence = stale
    frontend_dir: Path = Path(__file__).resolve().parent.parent / "frontend" / "dist"
    #: Swagger UI at ``/docs`` (GOLDENHOUR_API_DOCS=true), served from local files; off by
    #: default: an operator's convenience, not part of a console. ``/openapi.json`` is always on.
    api_docs: bool = False
    #: Pages of other origins whose sockets are taken, besides the server's own origin (a JSON
    #: list, e.g. GOLDENHOUR_ALLOWED_ORIGINS='["https://console.example"]'); see
    #: ``dispatch.api.handshake``.
    allowed_origins: list[str] = []
    #: Take socket handshakes without an ``Origin`` header: not a browser's (the demo traffic,
    #: crews' bots, tests). False for a deployment with browser clients only.
    sockets_without_origin: bool = True
    #: Networks ``/metrics`` answers (a JSON list of CIDRs, e.g.
    #: GOLDENHOUR_METRICS_NETWORKS='["127.0.0.0/8", "::1/128", "10.20.0.0/24"]'); anyone else
    #: gets 403. Behind the reverse proxy the client is the proxy's ``X-Forwarded-For``.
    metrics_networks: list[str] = ["127.0.0.0/8", "::1/128"]
    #: A login session ends this long after it began, whatever happens (one shift) ...
    session_max_s: int = Field(default=12 * 3600, ge=60)
    #: ... or after this long without a request or a socket message (consoles: 30 minutes).
    session_idle_s: int = Field(default=30 * 60, ge=1)
    #: Failed logins (``dispatch.domain.throttle``): answers slow down after ``slow_after``
    #: failures of one account within the window, by ``delay_s`` doubling up to ``max_delay_s``;
    #: at ``lock_after`` the account is locked for ``lock_s``; an address with ``client_limit``
    #: failures in the window is answered 429 until the window ends.
    login_window_s: float = Field(default=15 * 60, gt=0)
    login_slow_after: int = Field(default=5, ge=1)
    login_delay_s: float = Field(default=1.0, ge=0)
    login_max_delay_s: float = Field(default=8.0, ge=0, le=30)
    login_lock_after: int = Field(default=10, ge=1)
    login_lock_s: float = Field(default=15 * 60, gt=0)
    login_client_limit: int = Field(default=30, ge=1)
    #: The printed demo logins (password = user name) work without a forced password change.
    #: For ``make demo`` and the tests only: the server warns at start, and refuses to listen on
    #: anything but a loopback address while it is on (``demo_logins_refusal``).
    demo_logins: bool = False
    #: A unit silent this long has a stale position (None: 3 x ``expected_position_interval_s``);
    #: a stale unit is still ranked, by its last known position, but its ETA counts
    #: ``stale_rank_margin_s`` longer against fresh units (``dispatch.domain.freshness``).
    stale_position_s: float | None = Field(default=None, gt=0)
    stale_rank_margin_s: float = Field(default=60.0, ge=0)
    #: Consoles flag a dispatch or move-up order the crew has not acknowledged after this long
    #: (the server resends it every ``order_resend_s`` meanwhile).
    ack_alert_after_s: float = Field(default=60.0, gt=0, le=3600)
    #: A crew update's own time (when the button was pressed, ``dispatch.domain.fieldtime``)
    #: older than this when it arrives is not believed: the server's receive time is recorded
    #: instead, flagged ``too-old``. An hour covers a long dead zone; a day-old queue does not.
    field_time_max_age_s: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)
    #: After a suspected infectious transport the unit is in ``decontamination`` this many
    #: minutes, unless its crew reports it clean sooner (GOLDENHOUR_DECONTAMINATION_MIN).
    decontamination_min: float = Field(default=60.0, gt=0, le=24 * 60)
    #: The public-health watch (``dispatch.services.surveillance``): the detectors it runs
    #: (comma-separated: expectation-scan, hourly-burst, regression-cusum, space-time-scan,
    #: ears-c1, ears-c2, ears-c3), how
    #: often a round runs (seconds; 0 turns the watch off), and how many days without a
    #: detection close a signal.
    surveillance_methods: str = "expectation-scan,hourly-burst"
    surveillance_interval_s: float = Field(default=600.0, ge=0, le=24 * 3600)
    surveillance_quiet_days: int = Field(default=3, ge=1, le=30)
    #: The live advisor's policy (``dispatch.policies.live``): ``joint-coverage`` (joint
    #: assignment that keeps districts covered), ``joint`` or ``closest``.
    advice_policy: Literal["joint-coverage", "joint", "closest"] = "joint-coverage"
    #: Time-in-status alarms, seconds per unit status (a JSON object, e.g.
    #: GOLDENHOUR_STATUS_ALARM_S='{"on_scene": 1800, "at_hospital": 1200}'); a status left out
    #: never alarms. See ``dispatch.domain.alarms``.
    status_alarm_s: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_STATUS_ALARM_S))
    #: GPS fixes older than this many days are dropped, a whole month at a time
    #: (``dispatch.store.partitions``); 0 keeps every fix. The event log is never dropped.
    position_retention_days: int = Field(default=400, ge=0, le=36500)
    #: The centre's time zone (IANA name, e.g. Europe/Helsinki, Asia/Shanghai): every screen and
    #: export shows local times in it; the API stays UTC.
    timezone: str = "UTC"
    #: The centre's language (``en`` or ``zh``): the words the server writes into records itself
    #: (an incident's "near <street>" address), the language of problem messages for a client
    #: that names none in ``Accept-Language``, and the demo callers' speech. Screens choose
    #: their own language; the API's codes and field names never change with it.
    language: Literal["en", "zh"] = "en"
    #: The agency in NEMSIS records (``goldenhour export nemsis``, the review's NEMSIS ZIP): the
    #: identifiers a state EMS office assigns (dAgency.01, dAgency.02), its name, and the ANSI
    #: codes of its state and county ("00" and "00000" outside the US, which has no such codes).
    nemsis_agency_id: str = Field(default="GOLDENHOUR", min_length=1, max_length=50)
    nemsis_agency_number: str = Field(default="GH001", min_length=1, max_length=15)
    nemsis_agency_name: str = Field(default="Golden Hour EMS", min_length=2, max_length=100)
    nemsis_state: str = Field(default="00", pattern=r"^[0-9]{2}$")
    nemsis_county: str = Field(default="00000", pattern=r"^[0-9]{5}$")

    @field_validator("database_url", "app_database_url")
    @classmethod
    def _one_spelling(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A list of servers in the one spelling every reader of the URL agrees on (and a list
        that could pick a standby refused at start, not at the first write)."""
        if value is None:
            return None
        setting = {"database_url": "DATABASE_URL"}.get(
            info.field_name or "", f"GOLDENHOUR_{(info.field_name or '').upper()}"
        )
        return normal_database_url(value, setting)

    @field_validator("secret_key")
    @classmethod
    def _not_a_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().lower().startswith(
            ("changeme", "change-me", "secret")
        ):
            raise ValueError("GOLDENHOUR_SECRET_KEY is a placeholder; generate a random one")
        return value

    @field_validator("status_alarm_s")
    @classmethod
    def _alarm_statuses(cls, value: dict[str, float]) -> dict[str, float]:
        return check_thresholds(value)

    @field_validator("surveillance_methods")
    @classmethod
    def _known_methods(cls, value: str) -> str:
        from dispatch.surveillance.watch import ALL_METHODS  # noqa: PLC0415 (numpy: when set)

        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in ALL_METHODS]
        if unknown or not names:
            raise ValueError(f"surveillance methods must be some of {', '.join(ALL_METHODS)}")
        return ",".join(names)

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"not an IANA time zone name: {value!r}") from exc
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        wrong = [v for v in value if normal_origin(v) is None]
        if wrong:
            raise ValueError(f"not an http(s) origin (scheme://host[:port]): {wrong}")
        return value

    def throttle_rules(self) -> ThrottleRules:
        return ThrottleRules(
            window_s=self.login_window_s,
            slow_after=self.login_slow_after,
            delay_s=self.login_delay_s,
            max_delay_s=self.login_max_delay_s,
            lock_after=self.login_lock_after,
            lock_s=self.login_lock_s,
            client_limit=self.login_client_limit,
        )

    @property
    def stale_after_s(self) -> float:
        """Silence after which a unit's position is stale (see ``stale_position_s``)."""
        if self.stale_position_s is not None:
            return self.stale_position_s
        return 3 * self.expected_position_interval_s

    def nemsis_agency(self) -> Agency:
        """The agency as NEMSIS records name it (with this software's version)."""
        try:
            version = importlib.metadata.version("goldenhour")
        except importlib.metadata.PackageNotFoundError:
            version = "dev"
        return Agency(
            state_id=self.nemsis_agency_id,
            number=self.nemsis_agency_number,
            name=self.nemsis_agency_name,
            state=self.nemsis_state,
            county=self.nemsis_county,
            software_version=version,
        )

    def stale_rule(self) -> StaleRule:
        return StaleRule(self.stale_after_s, self.stale_rank_margin_s)

    def signing_key(self) -> str:
        """The token secret; the server refuses to start without one."""
        if self.secret_key is None:
            raise RuntimeError(
                "GOLDENHOUR_SECRET_KEY is not set: generate one, e.g. "
                "`python -c 'import secrets; print(secrets.token_hex(32))'` (make demo does this)"
            )
        return self.secret_key.get_secret_value()

    @property
    def async_database_url(self) -> str:
        """SQLAlchemy's asyncpg form of ``database_url`` (the schema owner)."""
        return _asyncpg_url(self.database_url, "DATABASE_URL")

    @property
    def app_role(self) -> str:
        """The least-privilege role the server connects as, for ``database_url``'s database."""
        database = make_url(self.database_url).database
        if not database:
            raise ValueError("DATABASE_URL names no database")
        return app_role_for(database)

    @property
    def async_app_database_url(self) -> str:
        """asyncpg URL of the server's login: ``app_database_url``, or ``database_url`` with the
        application role as the user and no password (the owner's password is not the role's)."""
        if self.app_database_url:
            return _asyncpg_url(self.app_database_url, "GOLDENHOUR_APP_DATABASE_URL")
        url = make_url(self.async_database_url)._replace(username=self.app_role, password=None)
        return url.render_as_string(hide_password=False)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (``goldenhour serve --host``) only listens on this machine: ``localhost``
    or a loopback address (``0.0.0.0``, ``::`` and every other name listen further)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def demo_logins_refusal(settings: Settings, host: str) -> str | None:
    """Why the server must not start on ``host`` with these settings (None: it may): demo logins,
    whose passwords are printed in the README, reachable from another machine."""
    if settings.demo_logins and not is_loopback(host):
        return (
            f"GOLDENHOUR_DEMO_LOGINS is on (password = user name) and --host {host} is reachable "
            "from other machines: listen on 127.0.0.1, or turn demo logins off "
            "(GOLDENHOUR_DEMO_LOGINS=false) and run `goldenhour seed` so that every seeded login "
            "must change its password"
        )
    return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
