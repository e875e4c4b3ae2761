"""What a password must be: long, not the user's name, not a common or guessable one.

Issue 12: "at least 12 characters or a passphrase, refuse common passwords". The rule here is
pure; how guessable a password is comes from outside as a score (``dispatch.passwords.strength``:
zxcvbn, which carries its own offline lists of common passwords, names and words and scores
patterns such as keyboard walks, dates and repeats from 0, "too guessable", to 4). A passphrase of
ordinary words ("correct horse battery staple") passes; "Password1234!" does not.

A password of more than :data:`MAX_LENGTH` characters is refused as well: every login spends one
Argon2 hash on what is typed, and nobody types more than that.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_LENGTH = 12
MAX_LENGTH = 128
#: The lowest acceptable zxcvbn score: 3, "safely unguessable: moderate protection from an
#: offline slow-hash scenario" (fewer than 10^10 guesses would not find it).
MIN_SCORE = 3


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a new password is refused, for the person choosing it."""

    reason: str
    hint: str = ""

    def describe(self) -> str:
        return f"{self.reason} {self.hint}".strip()


def refusal(
    password: str,
    *,
    username: str,
    score: int,
    current: str | None = None,
    hint: str = "",
) -> Refusal | None:
    """Why ``password`` may not be ``username``'s new password, or None when it may.

    ``score`` is the guessability score of ``password`` (0..4, see the module docstring) and
    ``hint`` what the scorer suggests; ``current``, when given, is the password it replaces.
    """
    if len(password) < MIN_LENGTH:
        return Refusal(
            f"Use at least {MIN_LENGTH} characters (a few ordinary words make a good passphrase)."
        )
    if len(password) > MAX_LENGTH:
        return Refusal(f"Use at most {MAX_LENGTH} characters.")
    if password.strip() != password or not password.strip():
        return Refusal("Do not begin or end the password with spaces.")
    folded = password.casefold()
    name = username.casefold()
    if name and (folded == name or name in folded and len(folded) - len(name) < MIN_LENGTH):
        return Refusal("Do not use your user name as (most of) the password.")
    if current is not None and password == current:
        return Refusal("Choose a password different from the current one.")
    if score < MIN_SCORE:
        return Refusal("This password is too common or too easy to guess.", hint)
    return None
