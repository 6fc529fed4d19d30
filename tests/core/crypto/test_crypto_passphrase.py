"""Passphrase rules: each refusal has its own reason."""

from __future__ import annotations

import pytest

from qi_capture.crypto.errors import WeakPassphrase
from qi_capture.crypto.passphrase import check_passphrase


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
