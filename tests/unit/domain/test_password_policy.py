"""New passwords: at least 12 characters, not the user name, not common (zxcvbn score 3+)."""

from __future__ import annotations

import pytest

from dispatch.domain.password_policy import MIN_SCORE, refusal
from dispatch.passwords import strength, weakness


def test_short_passwords_are_refused_whatever_their_score() -> None:
    why = refusal("Xk#9!qZ2", username="crew-a01", score=4)
    assert why is not None and "12 characters" in why.reason


def test_the_user_name_is_not_a_password_even_padded() -> None:
    assert refusal("dispatcher", username="dispatcher", score=4) is not None
    assert refusal("Dispatcher2026", username="dispatcher", score=4) is not None
    assert refusal("crew-a01crew-a01", username="crew-a01", score=4) is not None


def test_a_guessable_password_is_refused_with_the_scorers_advice() -> None:
    why = refusal("Password1234", username="x", score=MIN_SCORE - 1, hint="Add another word.")
    assert why is not None and why.describe().endswith("Add another word.")


def test_the_new_password_must_differ_from_the_current_one() -> None:
    same = "four random words here"
    assert refusal(same, username="x", score=4, current=same) is not None
    assert refusal(same, username="x", score=4, current="something else") is None


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "Password1234!",
        "qwertyuiopasdf",
        "123456789012",
        "iloveyou1234",
        "aaaaaaaaaaaa",
    ],
)
def test_common_passwords_of_twelve_characters_are_refused(password: str) -> None:
    assert weakness(password, "dispatcher") is not None, strength(password, "dispatcher")


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "ambulance-station-12-north", "Tr0ub4dour&3xyzq"]
)
def test_passphrases_and_random_strings_pass(password: str) -> None:
    assert weakness(password, "dispatcher") is None


def test_words_of_this_system_do_not_make_a_password_strong() -> None:
    assert weakness("goldenhourdispatch", "admin") is not None


def test_a_passphrase_longer_than_the_scorer_takes_is_scored_by_its_start() -> None:
    long = "the ambulance left the north station at dawn, and came back by the harbour road"
    assert len(long) > 72 and weakness(long, "crew-a01") is None
    assert weakness("x" * 129, "crew-a01") is not None  # past 128 characters: refused
