"""Passwords: Argon2 hashing (pwdlib) for login and seeding, and the strength check of new ones.

No web framework here. The rule for new passwords is ``dispatch.domain.password_policy``; this
module gives it its guessability score from zxcvbn (PyPI ``zxcvbn``, MIT licence, a port of
Dropbox's estimator), whose lists of common passwords, names and English words ship inside the
package: nothing is fetched, which an offline dispatch centre needs.
"""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from zxcvbn import zxcvbn

from dispatch.domain.password_policy import MAX_LENGTH, Refusal, refusal

#: zxcvbn refuses longer input; a longer passphrase is scored by its first 72 characters, a lower
#: bound of its strength.
_SCORED_CHARACTERS = 72
#: Words a password of this system must not lean on, besides the user's own name.
_OWN_WORDS = ("goldenhour", "golden hour", "dispatch", "dispatcher", "ambulance", "crew")


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


def strength(password: str, username: str) -> tuple[int, str]:
    """zxcvbn's score of ``password`` (0 too guessable .. 4 very unguessable) and its advice."""
    result = zxcvbn(password[:_SCORED_CHARACTERS], user_inputs=[username, *_OWN_WORDS])
    feedback = result.get("feedback") or {}
    advice = " ".join([feedback.get("warning") or "", *(feedback.get("suggestions") or [])])
    return int(result["score"]), advice.strip()


def weakness(password: str, username: str, *, current: str | None = None) -> Refusal | None:
    """Why ``password`` may not become ``username``'s password (None: it may), by the policy of
    ``dispatch.domain.password_policy`` with zxcvbn's score."""
    if len(password) > MAX_LENGTH:  # before scoring: the rule refuses it whatever the score
        return refusal(password, username=username, score=0, current=current)
    score, advice = strength(password, username)
    return refusal(password, username=username, score=score, current=current, hint=advice)
