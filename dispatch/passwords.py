"""Password hashing (Argon2 via pwdlib), shared by login and seeding; no web framework here."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash


@lru_cache(maxsize=1)
def hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash("dummy password used to equalise timing")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Always spends one Argon2 verification, so unknown users cannot be told apart by timing."""
    if password_hash is None:
        hasher().verify(password, _dummy_hash())
        return False
    return hasher().verify(password, password_hash)
