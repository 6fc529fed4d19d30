"""Passphrase rules: each refusal has its own reason; zxcvbn judges what passes them."""

from __future__ import annotations

import pytest

from qi_capture.crypto.errors import WeakPassphrase
from qi_capture.crypto.passphrase import MIN_SCORE, check_passphrase, estimate


@pytest.mark.parametrize(
    ("passphrase", "reason"),
    [
        ("short one", "too_short"),
        ("", "too_short"),
        (" padded phrase here", "surrounding_space"),
        ("aaaaaaaaaaaaaaaa", "too_few_distinct"),
        ("abababababababab", "too_few_distinct"),
        ("pasta12pasta12pasta12", "repeated"),
        ("abcdefghijklmnop", "sequence"),
        ("1234567890123", "sequence"),
        ("QWERTYUIOPASDF", "sequence"),
        ("Password2024!", "common"),
        ("qualityimprovement", "common"),
        ("Letmein123456", "common"),
    ],
)
def test_weak_passphrases_are_refused(passphrase: str, reason: str) -> None:
    with pytest.raises(WeakPassphrase) as info:
        check_passphrase(passphrase)
    assert info.value.params["reason"] == reason
    assert info.value.code == "weak_passphrase"
    assert passphrase not in str(info.value) or not passphrase


@pytest.mark.parametrize(
    "passphrase",
    [
        "copper kettle harbour 42",
        "Velvet-Otter-Grammar",
        "tea at four, never five",
        "Größe über Maß 19",
    ],
)
def test_good_passphrases_pass(passphrase: str) -> None:
    check_passphrase(passphrase)


@pytest.mark.parametrize("passphrase", ["Manchester2024!", "Qwerty!Manchester", "Jonathan1987!", "dragonfly2020!"])
def test_guessable_passphrases_are_refused_with_the_estimators_feedback(passphrase: str) -> None:
    # Each passes the plain rules; zxcvbn scores them below MIN_SCORE.
    with pytest.raises(WeakPassphrase) as info:
        check_passphrase(passphrase)
    params = info.value.params
    assert params["reason"] == "guessable"
    assert params["score"] < MIN_SCORE
    assert params["suggestions"]  # always something to do
    assert all(s in info.value.message for s in params["suggestions"])
    assert params["warning"] in info.value.message
    assert passphrase not in info.value.message


def test_estimator_feedback_names_the_weakness() -> None:
    found = estimate("Jonathan1987!")
    assert found.score < MIN_SCORE
    assert found.warning == "Common names and surnames are easy to guess."
    assert estimate("").score == 0


def test_long_passphrases_are_estimated_quickly_and_accepted() -> None:
    # zxcvbn's cost grows fast with length: only ESTIMATE_CHARS are looked at, which only
    # errs safe (a prefix is never stronger than the whole).
    long = "copper kettle harbour 42 " * 400
    check_passphrase(long.strip())
    assert estimate(long).score == 4
