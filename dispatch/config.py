"""Typed settings from the environment (and a git-ignored ``.env``), read once.

``DATABASE_URL`` and ``REDIS_URL`` keep their conventional names; everything else is prefixed
``GOLDENHOUR_``. The secret has no default on purpose (the server refuses to start without
it): tokens signed with a published default would let anyone act as a dispatcher.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GOLDENHOUR_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/goldenhour",
        validation_alias=AliasChoices("DATABASE_URL", "GOLDENHOUR_DATABASE_URL"),
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "GOLDENHOUR_REDIS_URL"),
    )
    secret_key: SecretStr | None = Field(default=None, min_length=32)
    map_dir: Path = Path("var/map")
    redis_channel: str = "goldenhour:events"
    max_snap_distance_m: float = 500.0
    token_ttl_s: int = 12 * 3600  # one shift
    hub_poll_interval_s: float = 2.0
    position_pushes_per_s: float = 10.0  # at most this many position updates per unit to consoles
    max_catch_up_events: int = 10_000  # a console further behind takes a fresh snapshot
    auto_dispatch_priorities: list[int] = []  # e.g. [1]: the optimiser assigns these at once
    order_resend_s: float = 10.0  # an unacknowledged dispatch order is pushed again this often
    expected_position_interval_s: float = 5.0  # crews report this often; 3x silence = stale
    frontend_dir: Path = Path(__file__).resolve().parent.parent / "frontend" / "dist"

    @field_validator("secret_key")
    @classmethod
    def _not_a_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().lower().startswith(
            ("changeme", "change-me", "secret")
        ):
            raise ValueError("GOLDENHOUR_SECRET_KEY is a placeholder; generate a random one")
        return value

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
        """SQLAlchemy's asyncpg form of ``database_url``, whatever form the user gave."""
        url = self.database_url
        for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got {url!r}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
